import Foundation

/// A calendar date without time zone: what a decision date on a paper document is.
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Creates a date if `year-month-day` exists in the proleptic Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= Self.daysInMonth(year: year, month: month)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYYMMDD`.
    public init?(compact: String) {
        let bytes = Array(compact.utf8)
        guard bytes.count == 8, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) } }
        self.init(year: number(0..<4), month: number(4..<6), day: number(6..<8))
    }

    /// Parses ISO `YYYY-MM-DD`.
    public init?(iso: String) {
        var text = iso
        guard let date = text.withUTF8({ bytes in
            bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-") ? CalendarDate(separated: bytes) : nil
        }) else { return nil }
        self = date
    }

    /// Reads ten bytes `YYYY?MM?DD`, whatever the separators at 4 and 7 (callers check them).
    @inlinable
    public init?(separated bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 10, let year = Self.number(bytes, 0..<4), let month = Self.number(bytes, 5..<7), let day = Self.number(bytes, 8..<10) else {
            return nil
        }
        self.init(year: year, month: month, day: day)
    }

    /// The number the ASCII digits `bytes[range]` write; nil if one is not a digit.
    @inlinable
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var value = 0
        for index in range {
            let digit = bytes[index] &- 0x30
            guard digit <= 9 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `YYYYMMDD` as a number, for cheap comparisons.
    public var compactValue: Int { year * 10000 + month * 100 + day }

    /// `YYYY-MM-DD`.
    public var description: String {
        // Written byte by byte: ten ASCII bytes make a small string, so this allocates nothing.
        if (0...9999).contains(year), (0...99).contains(month), (0...99).contains(day) {
            return String(unsafeUninitializedCapacity: 10) { buffer in
                func put(_ value: Int, at end: Int, width: Int) {
                    var rest = value
                    for index in stride(from: end - 1, through: end - width, by: -1) {
                        buffer[index] = UInt8(0x30 + rest % 10)
                        rest /= 10
                    }
                }
                put(year, at: 4, width: 4)
                put(month, at: 7, width: 2)
                put(day, at: 10, width: 2)
                buffer[4] = UInt8(ascii: "-")
                buffer[7] = UInt8(ascii: "-")
                return 10
            }
        }
        let y = String(year), m = String(month), d = String(day)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (m.count == 1 ? "0" + m : m) + "-"
            + (d.count == 1 ? "0" + d : d)
    }

    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date `days` after 1970-01-01.
    public init(daysSinceEpoch days: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    public func adding(days: Int) -> CalendarDate {
        CalendarDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// Today in China Standard Time (UTC+8), where every provider and the platform are.
    public static func today(now: Date = Date()) -> CalendarDate {
        let days = Int((now.timeIntervalSince1970 + 8 * 3600) / 86400)
        return CalendarDate(daysSinceEpoch: days)
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        lhs.compactValue < rhs.compactValue
    }
}
