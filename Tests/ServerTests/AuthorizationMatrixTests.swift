import CreditHubTestSupport
import CreditKernel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Security
import Server
import Storage
import Testing

/// Every registered route against every role and anonymous: exactly the combinations the policy
/// table allows get past the security middleware, all others get 401 or 403.
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    /// Who knocks.
    enum Caller: CustomStringConvertible {
        case anonymous
        case person(Role)
        case system(Role)

        static var all: [Caller] {
            [.anonymous] + Role.allCases.filter { !$0.isSystemRole }.map { .person($0) } + Role.systemRoles.sorted { $0.rawValue < $1.rawValue }.map { .system($0) }
        }

        var description: String {
            switch self {
            case .anonymous: "anonymous"
            case .person(let role): role.rawValue
            case .system(let role): role.rawValue
            }
        }

        /// Whether the policy lets this caller through to the handler.
        func allowed(_ permission: Permission) -> Bool {
            switch (self, permission) {
            case (_, .anonymous): true
            case (.person, .session): true
            case (.anonymous, _), (.system, .session): false
            case (.person(let role), _), (.system(let role), _): Policy.allows(permission, roles: [role])
            }
        }
    }

    @Test("Every route has a policy entry, and every policy entry is a route")
    func everyRouteHasAPolicy() async throws {
        try await TestPlatform.with(.sqlite) { platform in
            let routes = Set(try platform.routes())
            let missing = routes.filter { route in
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                return Policy.permission(method: parts[0], endpoint: parts[1]) == nil
            }
            #expect(missing.isEmpty, "routes without a policy entry: \(missing.sorted())")
            let stale = Set(Policy.table.keys).subtracting(routes)
            #expect(stale.isEmpty, "policy entries without a route: \(stale.sorted())")
        }
    }

    @Test("Exactly the allowed role and route combinations pass", arguments: StoreBackend.allCases)
    func matrix(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let routes = try platform.routes().sorted()
            var people: [Role: PersonAccount] = [:]
            var systems: [Role: (keyID: String, secret: String)] = [:]
            for caller in Caller.all {
                switch caller {
                case .anonymous: break
                case .person(let role): people[role] = try await platform.person("matrix_\(role.rawValue)", roles: [role]).0
                case .system(let role):
                    let (_, keyID, secret) = try await platform.system("matrix_\(role.rawValue)", roles: [role])
                    systems[role] = (keyID, secret)
                }
            }
            let accounts = people
            let credentials = systems
            try await platform.application().test(.router) { client in
                var checked = 0
                for route in routes {
                    let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                    let method = HTTPRequest.Method(parts[0])!
                    let path = Self.concrete(parts[1])
                    let permission = try #require(Policy.permission(method: parts[0], endpoint: parts[1]))
                    for caller in Caller.all {
                        var headers: HTTPFields = [.accept: "application/json"]
                        switch caller {
                        case .anonymous: break
                        case .person(let role):
                            // A fresh session each time: logout routes end the one they are given.
                            let session = try await platform.session(for: try #require(accounts[role]))
                            headers.append(contentsOf: TestPlatform.cookie(session.token, csrf: session.csrf))
                        case .system(let role):
                            let credential = try #require(credentials[role])
                            headers.append(contentsOf: platform.signedHeaders(keyID: credential.keyID, secret: credential.secret, method: parts[0], path: path))
                        }
                        let (status, code) = try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer()) { response in
                            let body = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                            return (response.status, (body?["error"] as? [String: Any])?["code"] as? String)
                        }
                        let refused = (status == .unauthorized && code == "unauthenticated") || (status == .forbidden && code == "forbidden")
                        if caller.allowed(permission) {
                            // The handler may still answer 4xx (a wrong password, a batch that does not exist), never a policy refusal.
                            #expect(!refused, "\(caller) should pass \(route) (\(permission.rawValue)) but got \(status.code) \(code ?? "")")
                        } else {
                            #expect(refused, "\(caller) should be refused \(route) (\(permission.rawValue)) but got \(status.code) \(code ?? "")")
                            #expect(status == (caller.isAnonymous ? .unauthorized : .forbidden), "\(caller) on \(route): \(status.code)")
                        }
                        checked += 1
                    }
                }
                #expect(checked == routes.count * Caller.all.count)
            }
        }
    }

    /// `/submissions/{batch}` with a value that names nothing.
    static func concrete(_ endpoint: String) -> String {
        endpoint.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") ? "none" : String(part)
        }.joined(separator: "/")
    }
}

extension AuthorizationMatrixTests.Caller {
    var isAnonymous: Bool {
        if case .anonymous = self { return true }
        return false
    }
}

@Suite("Access policy documentation")
struct PolicyDocumentationTests {
    @Test("docs/security.md lists every route with its permission")
    func documented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("docs/security.md"), encoding: .utf8)
        for (route, permission) in Policy.table {
            #expect(document.contains("| `\(route)` | `\(permission.rawValue)` |"), "docs/security.md does not list \(route) as \(permission.rawValue)")
        }
        for permission in Permission.allCases {
            #expect(document.contains("| `\(permission.rawValue)` |"), "docs/security.md does not explain \(permission.rawValue)")
        }
    }
}
