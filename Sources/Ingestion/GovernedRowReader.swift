import CreditKernel
import Governance
import Storage

/// Reads an artefact as chunks of governed rows: finds the header (skipping instruction rows
/// above it), numbers the data rows, skips blank and instruction rows, and governs each record.
public final class GovernedRowReader {
    public let format: ArtefactFormat
    private let source: any RecordSource
    private var governor: ResourceGovernor
    private let submittingUnit: String
    private var mapping: HeaderMapping?
    /// The header row as read, to pass over it when it comes again among the data rows.
    private var headerRow: TextRow?
    private var pending: SourceRecord?
    private var unknownKeys: Set<String> = []
    /// Data-row positions consumed so far (blank rows included, so positions match the file).
    public private(set) var position = 0
    /// The artefact turned out damaged part-way; thrown once the rows before the damage are delivered.
    private var damage: CreditHubError?

    /// A chunk and the position after its last consumed record.
    public struct Chunk: Sendable {
        public var rows: [GovernedRow]
        public var positionAfter: Int
    }

    /// Opens the artefact and reads up to its header: in a workbook, on the first sheet that has one.
    ///
    /// - Throws: `CreditHubError` with code `unreadable` or `unsupported_format` when the artefact
    ///   cannot be opened; `HeaderProblem` (`no_header`, `missing_required_columns`, or `unreadable`
    ///   before the header) when it can but cannot be used. The message tells the provider what to fix.
    public init(path: String, format: ArtefactFormat, declaredEncoding: TextEncoding?, governor: ResourceGovernor, submittingUnit: String) throws {
        self.format = format
        self.governor = governor
        self.submittingUnit = submittingUnit
        source = try ArtefactDecoding.open(path: path, format: format, declaredEncoding: declaredEncoding)
        self.governor.dateSystem = source.dateSystem
        do {
            try findHeader()
        } catch let error as CreditHubError {
            throw HeaderProblem(problem: error, decoding: decoding)
        }
    }

    /// Why an artefact cannot be used whole (no header, missing required columns, damage before
    /// the header), with what decoding had found by then: the encoding, and the header if there was one.
    public struct HeaderProblem: Error {
        public let problem: CreditHubError
        public let decoding: BatchDecoding
    }

    private func findHeader() throws {
        var sheets = 1
        var examinedInAll = 0
        while true {
            var examined = 0
            while examined < 20, let record = try source.next() {
                switch record {
                case .keyed, .json:
                    pending = record
                    return
                case .tooLong where format == .json || format == .jsonLines:
                    pending = record
                    return
                case .tooLong:
                    // Above a sheet's header: one more row that is not it.
                    break
                case .positional(let row):
                    if let mapping = governor.headerMapping(row.cells) {
                        // Kept first, so the receipt of a wrong template shows its header.
                        self.mapping = mapping
                        try Self.checkRequiredColumns(mapping, governor: governor)
                        headerRow = row
                        return
                    }
                }
                examined += 1
            }
            examinedInAll += examined
            guard try source.nextSheet() else { break }
            sheets += 1
        }
        if examinedInAll == 0 {
            throw CreditHubError(code: IssueCode.noHeader.rawValue, message: "the file holds no data", chineseMessage: "文件中没有数据")
        }
        let labels = governor.resource.fields.prefix(4).map(\.label).joined(separator: "、")
        let ids = governor.resource.fields.prefix(4).map(\.id).joined(separator: ", ")
        // Text whose encoding was detected wrongly shows no header either: saying how it was read
        // lets the provider declare the right one.
        let readAs = format == .csv ? source.encoding.map { $0.rawValue.uppercased() } : nil
        throw CreditHubError(
            code: IssueCode.noHeader.rawValue,
            message: sheets > 1
                ? "no header row naming the resource's fields (such as \(ids)) in the first 20 rows of any of the workbook's \(sheets) sheets"
                : "no header row naming the resource's fields (such as \(ids)) in the first 20 rows" + (readAs.map { " (read as \($0); if the header shows garbled characters, declare the file's encoding)" } ?? ""),
            chineseMessage: sheets > 1
                ? "工作簿的 \(sheets) 个工作表的前 20 行中均未找到表头（应包含如 \(labels) 等列名）"
                : "前 20 行中未找到表头（应包含如 \(labels) 等列名）" + (readAs.map { "；文件按 \($0) 编码读取，如表头显示为乱码，请在报送时注明文件编码" } ?? "")
        )
    }

    /// A file whose header lacks a required column is refused as a whole: each of its rows would be
    /// rejected for that field, and a receipt listing it on every row tells the clerk less than
    /// naming the columns once.
    private static func checkRequiredColumns(_ mapping: HeaderMapping, governor: ResourceGovernor) throws {
        let missing = governor.requiredFieldsWithoutColumn(mapping)
        guard !missing.isEmpty else { return }
        throw CreditHubError(
            code: IssueCode.missingRequiredColumns.rawValue,
            message: "the header has no column for the required fields \(missing.map { "\($0.id) (\($0.label))" }.joined(separator: ", ")): every row would be rejected; add the columns (the resource's template has them) and submit again",
            chineseMessage: "表头缺少必填列：\(missing.map(\.label).joined(separator: "、"))，每一行都会因此被拒收；请按标准模板补齐这些列后重新提交"
        )
    }

    /// What the decoder found: format, encoding, header and its unknown and missing columns.
    public var decoding: BatchDecoding {
        BatchDecoding(
            format: format,
            encoding: source.encoding,
            sheet: source.sheetName,
            header: mapping?.header ?? [],
            unknownColumns: mapping?.unknownColumns ?? unknownKeys.sorted(),
            missingColumns: mapping?.missingFields ?? []
        )
    }

    /// Skips data rows already committed (resuming after a crash).
    public func skip(_ rows: Int) throws {
        do {
            while position < rows, try nextRecord() != nil {
                position += 1
            }
        } catch let error as CreditHubError {
            throw damaged(error)
        }
    }

    /// A decoding error met after `position` rows, saying where: rows before it were read as usual.
    private func damaged(_ error: CreditHubError) -> CreditHubError {
        CreditHubError(
            code: error.code, message: "after data row \(position): \(error.message); the rows before it were processed",
            chineseMessage: "第 \(position) 行之后：\((error.chineseMessage ?? error.message))；此前的行已照常处理"
        )
    }

    private func nextRecord() throws -> SourceRecord? {
        if let pending {
            self.pending = nil
            return pending
        }
        return try source.next()
    }

    /// Whether a data row is the header again, as when exports are pasted one below another. A
    /// record's cell under the header's first named column is data, never that column's name (nor
    /// the name marked `*…` or `…(必填)`, as another template writes it), so one comparison of a
    /// few bytes rules nearly every row out before the row is read as a header.
    private func isRepeatedHeader(_ row: TextRow) -> Bool {
        guard let header = headerRow, let first = (0..<header.count).first(where: { !header.cellIsEmpty($0) }), first < row.count else { return false }
        let named = row.withCell(first) { cell in
            header.withCell(first) { name in
                cell.count >= name.count && (cell.starts(with: name) || cell.reversed().starts(with: name.reversed()))
            }
        }
        return named && governor.headerMapping(row.cells) != nil
    }

    /// Records read but not yet governed, with their positions.
    public struct RawChunk: Sendable {
        var records: [(position: Int, record: SourceRecord)]
        var positionAfter: Int
        var damagedText: Bool
    }

    /// How much is read, governed and written as one chunk: up to `rows` records, and no more once
    /// their text reaches `bytes`, so a file of long rows takes no more memory than one of short ones.
    public struct ChunkSize: Sendable, Hashable {
        public var rows: Int
        public var bytes: Int

        public init(rows: Int, bytes: Int = IngestionConfiguration.defaultChunkBytes) {
            self.rows = max(1, rows)
            self.bytes = max(1, bytes)
        }
    }

    /// The next chunk's data records, or nil at the end of the artefact. Blank, instruction and
    /// sign-off rows (制表人、合计…) are consumed (their positions count) but not returned.
    /// - Throws: `CreditHubError` (`unreadable`) when the artefact is damaged, after the chunk
    ///   holding the rows before the damage.
    public func nextRawChunk(_ size: ChunkSize) throws -> RawChunk? {
        if let damage {
            self.damage = nil
            throw damage
        }
        var records: [(position: Int, record: SourceRecord)] = []
        records.reserveCapacity(min(size.rows, 1 << 16))
        var consumedAny = false
        var bytes = 0
        do {
            while records.count < size.rows, bytes < size.bytes, let record = try nextRecord() {
                consumedAny = true
                position += 1
                switch record {
                case .positional(let row):
                    guard mapping != nil else { continue }
                    if row.isBlank || ResourceGovernor.isInstructionRow(row) || ResourceGovernor.isFooterRow(row) || isRepeatedHeader(row) { continue }
                    bytes += row.bytes.count
                case .keyed(let pairs):
                    if pairs.isEmpty { continue }
                    bytes += pairs.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
                case .json(let text):
                    bytes += text.count
                case .tooLong:
                    break
                }
                records.append((position, record))
            }
        } catch let error as CreditHubError {
            guard consumedAny else { throw damaged(error) }
            damage = damaged(error)
        }
        return consumedAny ? RawChunk(records: records, positionAfter: position, damagedText: source.hadReplacements) : nil
    }

    /// Governs a raw chunk; safe to call from any task.
    /// - Parameter shortRowsAreCut: whether a row with fewer cells than the header was cut short
    ///   (delimited text) rather than ended before empty cells, which a spreadsheet leaves out.
    public static func govern(
        _ raw: RawChunk, governor: ResourceGovernor, mapping: HeaderMapping?, submittingUnit: String, shortRowsAreCut: Bool
    ) -> (chunk: Chunk, unknownKeys: Set<String>) {
        var unknownKeys: Set<String> = []
        var rows: [GovernedRow] = []
        rows.reserveCapacity(raw.records.count)
        var layout: JSONKeyLayout?
        for (position, record) in raw.records {
            switch record {
            case .positional(let row):
                guard let mapping else { continue }
                rows.append(
                    governor.govern(
                        row: row, mapping: mapping, position: position, submittingUnit: submittingUnit, damagedText: raw.damagedText, shortRowIsCut: shortRowsAreCut
                    )
                )
            case .keyed(let pairs):
                rows.append(governor.govern(pairs: pairs, position: position, submittingUnit: submittingUnit, unknownKeys: &unknownKeys))
            case .json(let bytes):
                // An empty object is no record, as a blank line is none.
                if let row = governor.govern(json: bytes, position: position, submittingUnit: submittingUnit, unknownKeys: &unknownKeys, layout: &layout) { rows.append(row) }
            case .tooLong:
                rows.append(governor.tooLong(position: position))
            }
        }
        return (Chunk(rows: rows, positionAfter: raw.positionAfter), unknownKeys)
    }

    /// Reads the rest of the artefact and hands governed chunks to `deliver` in file order, governing
    /// up to `parallelism` chunks at once while the next one is read.
    public func governChunks(_ size: ChunkSize, parallelism: Int, deliver: (Chunk) async throws -> Void) async throws {
        let governor = self.governor
        let mapping = self.mapping
        let submittingUnit = self.submittingUnit
        let shortRowsAreCut = format != .xlsx
        try await withThrowingTaskGroup(of: (Int, Chunk, Set<String>).self) { group in
            var issued = 0
            var delivered = 0
            var inFlight = 0
            var ready: [Int: Chunk] = [:]
            func collect() async throws {
                guard let (index, chunk, unknown) = try await group.next() else { return }
                inFlight -= 1
                unknownKeys.formUnion(unknown)
                ready[index] = chunk
                while let next = ready.removeValue(forKey: delivered) {
                    try await deliver(next)
                    delivered += 1
                }
            }
            while true {
                let raw: RawChunk
                do {
                    guard let next = try nextRawChunk(size) else { break }
                    raw = next
                } catch {
                    // The rows before a damaged part are delivered first.
                    while inFlight > 0 { try await collect() }
                    throw error
                }
                try Task.checkCancellation()
                let index = issued
                issued += 1
                inFlight += 1
                group.addTask {
                    let (chunk, unknown) = Self.govern(raw, governor: governor, mapping: mapping, submittingUnit: submittingUnit, shortRowsAreCut: shortRowsAreCut)
                    return (index, chunk, unknown)
                }
                while inFlight >= max(1, parallelism) { try await collect() }
            }
            while inFlight > 0 { try await collect() }
        }
    }
}
