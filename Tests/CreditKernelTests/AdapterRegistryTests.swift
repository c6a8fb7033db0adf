import CreditKernel
import Testing

@Suite("Adapter registry")
struct AdapterRegistryTests {
    struct TablePull: SourceAdapter {
        static var descriptor: AdapterDescriptor {
            AdapterDescriptor(id: "table_pull", channel: .tablePull, name: "库表", summary: "pulls department tables")
        }
    }

    @Test("A resource the catalogue allows only channels nobody serves here is named; one more adapter serves it")
    func resourcesWithoutChannel() throws {
        var penalty = try #require(Catalogue.standard.resource("admin_penalty"))
        penalty.channels = [.tablePull]
        let license = try #require(Catalogue.standard.resource("admin_license"))
        let served: Set<CollectionChannel> = [.terminalUpload, .commandLine]

        var registry = AdapterRegistry()
        #expect(registry.resourcesWithoutChannel([penalty, license], alsoServed: served).map(\.id) == ["admin_penalty"])
        registry.register(TablePull.self)
        #expect(registry.resourcesWithoutChannel([penalty, license], alsoServed: served).isEmpty)
        #expect(registry.adapter(id: "table_pull")?.channel == .tablePull)
    }
}
