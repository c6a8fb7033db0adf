import Foundation
import ServiceLifecycle

/// Removes expired sessions and spent request nonces every few minutes.
public struct SessionJanitor: Service {
    let identity: IdentityService

    public init(identity: IdentityService) {
        self.identity = identity
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let now = Date()
                try? await identity.store.identity.deleteExpiredSessions(
                    idleBefore: now.addingTimeInterval(-identity.configuration.sessionIdle),
                    createdBefore: now.addingTimeInterval(-identity.configuration.sessionAbsolute)
                )
                // A nonce outside the allowed clock skew can never be replayed successfully.
                try? await identity.store.identity.deleteNonces(before: now.addingTimeInterval(-2 * RequestSignature.allowedSkew))
                try await Task.sleep(for: .seconds(300))
            }
        }
    }
}
