import GRDB

extension DatabaseWriter {
    /// Runs `updates` in a transaction whose commit returns before it is synced to disk, for
    /// writes that a lost commit only delays: a batch's chunk (the batch resumes after its last
    /// durable chunk, from the raw file) and a theme step (it is taken again from the change feed).
    ///
    /// Every other commit is synced before it returns (`synchronous = FULL`), so what a caller was
    /// told is kept survives a power failure: an acknowledged batch, its finished status, an audit
    /// entry, a conflict's resolution. The checkpointer syncs bulk commits soon after, and a synced
    /// commit syncs the log up to itself, bulk commits before it included.
    func bulkWrite<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        try await writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            let outcome = Result {
                var result: T?
                try db.inTransaction {
                    result = try updates(db)
                    return .commit
                }
                return result!
            }
            // Restored whatever the outcome, and loudly: a writer left at NORMAL would stop syncing
            // acknowledgements without anyone noticing.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            return try outcome.get()
        }
    }
}
