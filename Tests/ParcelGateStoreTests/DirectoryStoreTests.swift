import Foundation
@testable import ParcelGateCore
@testable import ParcelGateStore
import Testing

/// Tenants, sources, secrets and keys: the same contract on every backend.
@Suite(.timeLimit(.minutes(2))) struct DirectoryStoreTests {
    let t0 = Timestamp(seconds: 1_800_000_000)

    @Test(arguments: StoreBackend.available)
    func directoryLifecycle(backend: StoreBackend) async throws {
        let store = try await backend.open()
        let start = try await store.directoryVersion()
        try await store.createTenant(TenantRecord(slug: "acme", ratePerSecond: 5, rateBurst: 10, retryPolicyJSON: #"{"max_attempts":3}"#, createdAt: t0))
        await #expect(throws: GatewayError.conflict("Tenant 'acme' already exists")) { try await store.createTenant(TenantRecord(slug: "acme", createdAt: self.t0)) }
        try await store.putSource(SourceRecord(tenant: "acme", carrier: "ups", header: "credential", createdAt: t0))
        await #expect(throws: GatewayError.self) { try await store.putSource(SourceRecord(tenant: "nobody", carrier: "ups", createdAt: self.t0)) }
        try await store.addSecret(tenant: "acme", carrier: "ups", SecretRecord(id: "s1", bytes: [1, 2, 3], encrypted: true, createdAt: t0))
        try await store.addSecret(tenant: "acme", carrier: "ups", SecretRecord(id: "s2", bytes: [4, 5], encrypted: false, createdAt: t0.adding(milliseconds: 1)))
        try await store.addAPIKey(APIKeyRecord(id: "k1", tenant: "acme", digest: Array(repeating: 7, count: 32), label: "ci", createdAt: t0))
        await #expect(throws: GatewayError.conflict("That API key already exists")) {
            try await store.addAPIKey(APIKeyRecord(id: "k2", tenant: "acme", digest: Array(repeating: 7, count: 32), label: nil, createdAt: self.t0))
        }

        var snapshot = try await store.directory()
        #expect(snapshot.version > start)
        #expect(snapshot.tenants.map(\.slug) == ["acme"])
        #expect(snapshot.tenants.first?.ratePerSecond == 5 && snapshot.tenants.first?.rateBurst == 10)
        #expect(snapshot.tenants.first?.retryPolicyJSON == #"{"max_attempts":3}"#)
        #expect(snapshot.sources.first?.header == "credential")
        #expect(snapshot.sources.first?.secrets.map(\.id) == ["s1", "s2"])
        #expect(snapshot.sources.first?.secrets.map(\.bytes) == [[1, 2, 3], [4, 5]])
        #expect(snapshot.sources.first?.secrets.map(\.encrypted) == [true, false])
        #expect(snapshot.apiKeys.map(\.id) == ["k1"])

        try await store.updateSecret(tenant: "acme", carrier: "ups", SecretRecord(id: "s2", bytes: [9], encrypted: true, createdAt: t0))
        try await store.removeSecret(tenant: "acme", carrier: "ups", id: "s1")
        await #expect(throws: GatewayError.self) { try await store.removeSecret(tenant: "acme", carrier: "ups", id: "s2") }
        try await store.revokeAPIKey(tenant: "acme", id: "k1", at: t0)
        await #expect(throws: GatewayError.notFound("API key 'k1' not found")) { try await store.revokeAPIKey(tenant: "acme", id: "k1", at: self.t0) }
        try await store.updateTenant(TenantRecord(slug: "acme", ratePerSecond: nil, rateBurst: nil, retryPolicyJSON: nil, createdAt: t0))

        snapshot = try await store.directory()
        #expect(snapshot.sources.first?.secrets.map(\.id) == ["s2"])
        #expect(snapshot.sources.first?.secrets.first?.bytes == [9])
        #expect(snapshot.apiKeys.isEmpty)
        #expect(snapshot.tenants.first?.ratePerSecond == nil)
        let before = snapshot.version
        try await store.deleteSource(tenant: "acme", carrier: "ups")
        #expect(try await store.directory().sources.isEmpty)
        #expect(try await store.directoryVersion() == before + 1)
        await store.close()
    }
}
