import ArgumentParser
import ParcelGateCore

@main
struct ParcelGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parcelgate",
        abstract: "Carrier webhook ingestion gateway: verify, normalise and apply tracking callbacks.",
        version: ParcelGateVersion.current,
        subcommands: [ServeCommand.self, ReplayCommand.self, RetriesCommand.self, TenantsCommand.self, BenchCommand.self, StoreBenchCommand.self, BaselineCommand.self, ListenCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
