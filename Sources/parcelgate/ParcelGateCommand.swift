import ArgumentParser
import Foundation
import ParcelGateCore

@main
struct ParcelGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parcelgate",
        abstract: "Carrier webhook ingestion gateway: verify, normalise and apply tracking callbacks.",
        version: ParcelGateVersion.current,
        subcommands: [
            ServeCommand.self, InspectCommand.self, ReplayCommand.self, RetriesCommand.self, EndpointsCommand.self, DeliveriesCommand.self, TenantsCommand.self,
            BenchCommand.self, StoreBenchCommand.self, BaselineCommand.self, ListenCommand.self, ProjectionsCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    /// The argument parser's own `main`, with two differences for the tenant API's clients
    /// (``APIConnection/commandGroups``): a refusal from the API is printed as `HTTP <status>: <code>: <detail>`
    /// (exit status 1), and a usage error (a bad or unknown flag, a missing argument; the parser's exit status
    /// 64) exits with status 2, as every bad flag of `parcelgate listen` does.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as APIFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            Foundation.exit(ExitCode.failure.rawValue)
        } catch {
            let group = CommandLine.arguments.dropFirst().first ?? ""
            guard APIConnection.commandGroups.contains(group), exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
