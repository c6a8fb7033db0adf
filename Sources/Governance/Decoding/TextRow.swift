/// A row of text cells in one UTF-8 buffer: what decoders produce and governance reads, so a row
/// costs two allocations rather than one String per cell.
public struct TextRow: Sendable, Hashable {
    public private(set) var bytes: [UInt8] = []
    /// End offset of each cell in `bytes`.
    public private(set) var ends: [Int32] = []
    /// A quote opened a cell of this row and was never closed: the parser read it as text.
    public var hasUnclosedQuote = false
    /// The decoder cut this record at `DecodingLimits.maximumRecordBytes` and skipped the rest of it.
    public var isTruncated = false

    public init() {}

    public init(cells: [String]) {
        bytes.reserveCapacity(cells.reduce(0) { $0 + $1.utf8.count })
        ends.reserveCapacity(cells.count)
        for cell in cells { append(cell) }
    }

    public var count: Int { ends.count }
    public var isEmpty: Bool { ends.isEmpty }

    @inline(__always)
    func range(_ index: Int) -> Range<Int> {
        (index == 0 ? 0 : Int(ends[index - 1]))..<Int(ends[index])
    }

    /// Cell `index` as text.
    public func cell(_ index: Int) -> String {
        String(decoding: bytes[range(index)], as: UTF8.self)
    }

    /// Whether cell `index` has no bytes at all.
    @inline(__always)
    public func cellIsEmpty(_ index: Int) -> Bool {
        range(index).isEmpty
    }

    public func cellByteCount(_ index: Int) -> Int {
        range(index).count
    }

    /// Reads cell `index` in place.
    @inline(__always)
    public func withCell<Result>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let range = range(index)
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// Every cell as text (for receipts of rejected rows and for tests).
    public var cells: [String] {
        (0..<count).map(cell)
    }

    public mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        ends.append(Int32(bytes.count))
    }

    public mutating func append(_ slice: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: slice)
        ends.append(Int32(bytes.count))
    }

    /// Copies cell `index` of another row.
    public mutating func append(cell index: Int, of row: TextRow) {
        row.withCell(index) { bytes.append(contentsOf: $0) }
        ends.append(Int32(bytes.count))
    }

    /// Copies the consecutive cells `cells` of another row in one piece.
    mutating func append(cells: Range<Int>, of row: TextRow) {
        guard !cells.isEmpty else { return }
        let start = cells.lowerBound == 0 ? 0 : Int(row.ends[cells.lowerBound - 1])
        let shift = Int32(bytes.count - start)
        row.bytes.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<Int(row.ends[cells.upperBound - 1])])) }
        for index in cells { ends.append(row.ends[index] + shift) }
    }

    /// Adds bytes to the cell being built; `endCell` closes it.
    @inline(__always)
    mutating func appendToOpenCell(_ slice: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: slice)
    }

    @inline(__always)
    mutating func appendToOpenCell(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Where the cell being built starts in `bytes`.
    private var openCellStart: Int { ends.last.map(Int.init) ?? 0 }

    /// Removes and returns the bytes of the cell being built.
    mutating func takeOpenCell() -> [UInt8] {
        let start = openCellStart
        defer { bytes.removeSubrange(start...) }
        return Array(bytes[start...])
    }

    /// Whether the cell being built holds a line break.
    var openCellHasLineBreak: Bool {
        bytes[openCellStart...].contains { $0 == 0x0A || $0 == 0x0D }
    }

    /// Whether a line of the cell being built, after its first, holds `count` or more of `byte`.
    func openCellHasLine(withAtLeast count: Int, of byte: UInt8) -> Bool {
        var found = 0
        var afterLineBreak = false
        for current in bytes[openCellStart...] {
            if current == 0x0A || current == 0x0D {
                afterLineBreak = true
                found = 0
            } else if current == byte, afterLineBreak {
                found += 1
                if found >= count { return true }
            }
        }
        return false
    }

    /// The byte count of the cell being built.
    var openCellByteCount: Int {
        bytes.count - openCellStart
    }

    @inline(__always)
    mutating func endCell() {
        ends.append(Int32(bytes.count))
    }

    public mutating func reserve(bytes: Int, cells: Int) {
        self.bytes.reserveCapacity(bytes)
        ends.reserveCapacity(cells)
    }

    mutating func removeAll(reservingCapacity bytesCapacity: Int, cells: Int) {
        bytes = []
        bytes.reserveCapacity(bytesCapacity)
        ends = []
        ends.reserveCapacity(cells)
        hasUnclosedQuote = false
        isTruncated = false
    }

    /// Whether every cell is empty or padding.
    public var isBlank: Bool {
        (0..<count).allSatisfy { index in
            guard let first = withCell(index, { $0.first }) else { return true }
            // A first byte that is neither whitespace nor the lead of a padding character decides.
            if first > 0x20, first != 0xC2, first != 0xE2, first != 0xE3, first != 0xEF { return false }
            return TextNormalisation.isBlank(cell(index))
        }
    }
}
