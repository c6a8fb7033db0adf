/// The PostgreSQL schema as an ordered list of migrations, applied in one transaction under an
/// advisory lock; a database's version is the highest applied.
enum PostgresSchema {
    /// Arbitrary constant identifying CreditHub's migration lock.
    static let migrationLockKey: Int64 = 0x4372_6564_6974_4875

    static let migrations: [(name: String, sql: String)] = [
        (
            "0001_catalogue",
            """
            CREATE TABLE catalogue_resource_versions (
                resource_id text NOT NULL,
                version integer NOT NULL,
                digest text NOT NULL,
                definition jsonb NOT NULL,
                imported_at timestamptz NOT NULL,
                imported_by text NOT NULL,
                PRIMARY KEY (resource_id, version)
            );
            """
        )
    ]
}
