import CreditKernel
import Governance
import Storage

/// Reads an artefact as chunks of governed rows: finds the header (skipping instruction rows
/// above it), numbers the data rows, skips blank and instruction rows, and governs each record.
public final class GovernedRowReader {
    public let format: ArtefactFormat
    private let source: any RecordSource
    private let governor: ResourceGovernor
    private let submittingUnit: String
    private var mapping: HeaderMapping?
    private var pending: SourceRecord?
    private var unknownKeys: Set<String> = []
    /// Data-row positions consumed so far (blank rows included, so positions match the file).
    public private(set) var position = 0

    /// A chunk and the position after its last consumed record.
    public struct Chunk: Sendable {
        public var rows: [GovernedRow]
        public var positionAfter: Int
    }

    /// Opens the artefact and reads up to its header.
    ///
    /// - Throws: `CreditHubError` with code `unreadable` or `no_header` when the artefact cannot be
    ///   used at all; the message tells the provider what to fix.
    public init(path: String, format: ArtefactFormat, declaredEncoding: TextEncoding?, governor: ResourceGovernor, submittingUnit: String) throws {
        self.format = format
        self.governor = governor
        self.submittingUnit = submittingUnit
        source = try ArtefactDecoding.open(path: path, format: format, declaredEncoding: declaredEncoding)
        var examined = 0
        while let record = try source.next() {
            switch record {
            case .keyed:
                pending = record
                return
            case .positional(let cells):
                if let mapping = governor.headerMapping(cells) {
                    self.mapping = mapping
                    return
                }
                examined += 1
                if examined >= 20 { break }
            }
        }
        if examined == 0 {
            throw CreditHubError(code: IssueCode.noHeader.rawValue, message: "文件中没有数据 / the file holds no data")
        }
        let labels = governor.resource.fields.prefix(4).map(\.label).joined(separator: "、")
        throw CreditHubError(
            code: IssueCode.noHeader.rawValue,
            message: "前 20 行中未找到表头（应包含如 \(labels) 等列名）/ no header row naming the resource's fields (such as \(governor.resource.fields.prefix(4).map(\.id).joined(separator: ", "))) in the first 20 rows"
        )
    }

    /// What the decoder found: format, encoding, header and its unknown and missing columns.
    public var decoding: BatchDecoding {
        BatchDecoding(
            format: format,
            encoding: source.encoding,
            header: mapping?.header ?? [],
            unknownColumns: mapping?.unknownColumns ?? unknownKeys.sorted(),
            missingColumns: mapping?.missingFields ?? []
        )
    }

    /// Skips data rows already committed (resuming after a crash).
    public func skip(_ rows: Int) throws {
        while position < rows, try nextRecord() != nil {
            position += 1
        }
    }

    private func nextRecord() throws -> SourceRecord? {
        if let pending {
            self.pending = nil
            return pending
        }
        return try source.next()
    }

    /// Up to `maximumRows` governed rows, or nil at the end of the artefact.
    public func nextChunk(maximumRows: Int) throws -> Chunk? {
        var rows: [GovernedRow] = []
        rows.reserveCapacity(maximumRows)
        var consumedAny = false
        while rows.count < maximumRows, let record = try nextRecord() {
            consumedAny = true
            position += 1
            switch record {
            case .positional(let cells):
                guard let mapping else { continue }
                if ResourceGovernor.isBlank(cells) || ResourceGovernor.isInstructionRow(cells) { continue }
                rows.append(governor.govern(cells: cells, mapping: mapping, position: position, submittingUnit: submittingUnit, damagedText: source.hadReplacements))
            case .keyed(let pairs):
                if pairs.isEmpty { continue }
                rows.append(governor.govern(pairs: pairs, position: position, submittingUnit: submittingUnit, unknownKeys: &unknownKeys))
            }
        }
        return consumedAny ? Chunk(rows: rows, positionAfter: position) : nil
    }
}
