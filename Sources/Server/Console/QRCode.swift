/// A QR code (ISO/IEC 18004) in byte mode at error-correction level M, versions 1–10: enough for an
/// `otpauth://` enrolment URI (up to 213 bytes), so a person scans it instead of typing the secret.
struct QRCode {
    /// Modules by row, `true` dark.
    let modules: [[Bool]]
    let version: Int
    let mask: Int

    var size: Int { modules.count }

    /// Level M per version 1–10: error-correction codewords per block, and the blocks.
    private static let blocks: [(ecc: Int, count: Int)] = [
        (10, 1), (16, 1), (26, 1), (18, 2), (24, 2), (16, 4), (18, 4), (22, 4), (22, 5), (26, 5),
    ]
    private static let alignmentCentres: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50],
    ]

    /// Nil when `text` does not fit version 10-M.
    init?(_ text: String, version forcedVersion: Int? = nil, mask forcedMask: Int? = nil) {
        let bytes = Array(text.utf8)
        guard let version = forcedVersion ?? (1...10).first(where: { bytes.count <= Self.dataCodewords($0) - ($0 < 10 ? 2 : 3) }),
            bytes.count <= Self.dataCodewords(version) - (version < 10 ? 2 : 3)
        else { return nil }
        var grid = Grid(version: version)
        grid.place(Self.codewords(bytes, version: version))
        let masks = forcedMask.map { [$0] } ?? Array(0..<8)
        var best: (grid: Grid, penalty: Int, mask: Int)?
        for mask in masks {
            var candidate = grid
            candidate.apply(mask: mask)
            candidate.drawFormat(mask: mask)
            let penalty = candidate.penalty()
            if best == nil || penalty < best!.penalty { best = (candidate, penalty, mask) }
        }
        modules = best!.grid.dark
        self.version = version
        mask = best!.mask
    }

    /// The code as SVG, with the four-module quiet zone the standard asks for.
    func svg(moduleSize: Int = 5) -> String {
        let side = (size + 8) * moduleSize
        var path = ""
        for (row, line) in modules.enumerated() {
            for (column, dark) in line.enumerated() where dark {
                path += "M\(column + 4) \(row + 4)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(size + 8) \(size + 8)" shape-rendering="crispEdges" role="img">\
            <rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    // MARK: - Codewords

    static func totalCodewords(_ version: Int) -> Int {
        // Modules not used by function patterns, in bytes.
        var modules = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            modules -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { modules -= 36 }
        }
        return modules / 8
    }

    static func dataCodewords(_ version: Int) -> Int {
        let (ecc, count) = blocks[version - 1]
        return totalCodewords(version) - ecc * count
    }

    /// Mode, length, data and padding, then error correction, interleaved across blocks.
    static func codewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        let capacity = dataCodewords(version) * 8
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for index in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> index) & 1 == 1) }
        }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for byte in bytes { append(Int(byte), 8) }
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var data: [UInt8] = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while data.count < capacity / 8 {
            data.append(pad)
            pad ^= 0xEC ^ 0x11
        }

        let (ecc, count) = blocks[version - 1]
        let total = totalCodewords(version)
        let shortBlocks = count - total % count
        let shortLength = total / count
        let divisor = ReedSolomon.generator(degree: ecc)
        var split: [[UInt8]] = []
        var offset = 0
        for block in 0..<count {
            let length = shortLength - ecc + (block < shortBlocks ? 0 : 1)
            let chunk = Array(data[offset..<offset + length])
            offset += length
            // Short blocks get a placeholder so every block lines up when interleaved.
            split.append(chunk + (block < shortBlocks ? [0] : []) + ReedSolomon.remainder(chunk, divisor: divisor))
        }
        var result: [UInt8] = []
        for index in 0..<split[0].count {
            for (block, codewords) in split.enumerated() where index != shortLength - ecc || block >= shortBlocks {
                result.append(codewords[index])
            }
        }
        return result
    }

    // MARK: - Matrix

    struct Grid {
        var dark: [[Bool]]
        var function: [[Bool]]
        let version: Int
        var size: Int { dark.count }

        init(version: Int) {
            self.version = version
            let size = version * 4 + 17
            dark = Array(repeating: Array(repeating: false, count: size), count: size)
            function = dark
            for index in 0..<size {
                set(row: 6, column: index, index % 2 == 0)
                set(row: index, column: 6, index % 2 == 0)
            }
            for (row, column) in [(3, 3), (3, size - 4), (size - 4, 3)] {
                for dy in -4...4 {
                    for dx in -4...4 where (0..<size).contains(row + dy) && (0..<size).contains(column + dx) {
                        let distance = max(abs(dx), abs(dy))
                        set(row: row + dy, column: column + dx, distance != 2 && distance != 4)
                    }
                }
            }
            let centres = QRCode.alignmentCentres[version - 1]
            for (i, row) in centres.enumerated() {
                for (j, column) in centres.enumerated() {
                    let last = centres.count - 1
                    if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                    for dy in -2...2 {
                        for dx in -2...2 { set(row: row + dy, column: column + dx, max(abs(dx), abs(dy)) != 1) }
                    }
                }
            }
            // Reserve the format areas (drawn once the mask is chosen) and draw the version.
            drawFormat(mask: 0)
            if version >= 7 {
                var remainder = version
                for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
                let bits = version << 12 | remainder
                for index in 0..<18 {
                    let bit = (bits >> index) & 1 == 1
                    let a = size - 11 + index % 3
                    let b = index / 3
                    set(row: b, column: a, bit)
                    set(row: a, column: b, bit)
                }
            }
        }

        mutating func set(row: Int, column: Int, _ value: Bool) {
            dark[row][column] = value
            function[row][column] = true
        }

        /// Level M (00) and the mask, BCH-protected, in both copies; plus the dark module.
        mutating func drawFormat(mask: Int) {
            let data = mask
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
            for index in 0...5 { set(row: index, column: 8, bit(index)) }
            set(row: 7, column: 8, bit(6))
            set(row: 8, column: 8, bit(7))
            set(row: 8, column: 7, bit(8))
            for index in 9..<15 { set(row: 8, column: 14 - index, bit(index)) }
            for index in 0..<8 { set(row: 8, column: size - 1 - index, bit(index)) }
            for index in 8..<15 { set(row: size - 15 + index, column: 8, bit(index)) }
            set(row: size - 8, column: 8, true)
        }

        /// Codewords in the standard's zigzag, two columns at a time from the bottom right.
        mutating func place(_ codewords: [UInt8]) {
            var index = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vertical in 0..<size {
                    for offset in 0..<2 {
                        let column = right - offset
                        let upward = (right + 1) & 2 == 0
                        let row = upward ? size - 1 - vertical : vertical
                        guard !function[row][column], index < codewords.count * 8 else { continue }
                        dark[row][column] = (codewords[index >> 3] >> (7 - (index & 7))) & 1 == 1
                        index += 1
                    }
                }
                right -= 2
            }
        }

        mutating func apply(mask: Int) {
            for row in 0..<size {
                for column in 0..<size where !function[row][column] {
                    let (x, y) = (column, row)
                    let invert =
                        switch mask {
                        case 0: (x + y) % 2 == 0
                        case 1: y % 2 == 0
                        case 2: x % 3 == 0
                        case 3: (x + y) % 3 == 0
                        case 4: (x / 3 + y / 2) % 2 == 0
                        case 5: x * y % 2 + x * y % 3 == 0
                        case 6: (x * y % 2 + x * y % 3) % 2 == 0
                        default: ((x + y) % 2 + x * y % 3) % 2 == 0
                        }
                    if invert { dark[row][column].toggle() }
                }
            }
        }

        /// The standard's four penalty rules; the mask with the lowest total is used.
        func penalty() -> Int {
            var total = 0
            let finderLike: [Bool] = [true, false, true, true, true, false, true, false, false, false, false]
            let lines = dark + (0..<size).map { column in dark.map { $0[column] } }
            for line in lines {
                var run = 1
                for index in 1...size {
                    if index < size, line[index] == line[index - 1] {
                        run += 1
                    } else {
                        if run >= 5 { total += run - 2 }
                        run = 1
                    }
                }
                for start in 0...(size - finderLike.count) {
                    let window = line[start..<start + finderLike.count]
                    if window.elementsEqual(finderLike) || window.elementsEqual(finderLike.reversed()) { total += 40 }
                }
            }
            for row in 0..<size - 1 {
                for column in 0..<size - 1 {
                    let colour = dark[row][column]
                    if dark[row][column + 1] == colour, dark[row + 1][column] == colour, dark[row + 1][column + 1] == colour { total += 3 }
                }
            }
            let darkCount = dark.reduce(0) { $0 + $1.filter { $0 }.count }
            let cells = size * size
            total += (abs(darkCount * 20 - cells * 10) + cells - 1) / cells * 10 - 10
            return total
        }
    }
}

/// Reed–Solomon error correction over GF(256) with the QR polynomial x⁸+x⁴+x³+x²+1.
enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for index in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> index) & 1) * Int(x)
        }
        return UInt8(z)
    }

    /// Coefficients of ∏(x − αⁱ), i < degree, highest first (the leading 1 left out).
    static func generator(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result[0]
            result.removeFirst()
            result.append(0)
            for index in result.indices { result[index] ^= multiply(divisor[index], factor) }
        }
        return result
    }
}
