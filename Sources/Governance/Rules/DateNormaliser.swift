import CreditKernel

/// Reads the date spellings departments use and writes ISO `YYYY-MM-DD`.
enum DateNormaliser {
    enum Outcome: Equatable {
        /// Already in an official form (`YYYY-MM-DD` or `YYYY/MM/DD`): stored in ISO without comment.
        case canonical(String)
        /// Another spelling, converted: worth telling the provider.
        case converted(String, from: Form)
        case invalid
    }

    enum Form: Equatable {
        case chinese, chineseNumerals, compact, separated, withTime, withZone, excelSerial, longTerm

        var chinese: String {
            switch self {
            case .chinese: "中文日期"
            case .chineseNumerals: "汉字数字日期"
            case .compact: "8 位数字日期"
            case .separated: "非标准分隔的日期"
            case .withTime: "带时间的日期"
            case .withZone: "带时区的时间（按北京时间）"
            case .excelSerial: "Excel 日期序列号"
            case .longTerm: "“长期”"
            }
        }

        var english: String {
            switch self {
            case .chinese: "Chinese date"
            case .chineseNumerals: "date in Chinese numerals"
            case .compact: "8-digit date"
            case .separated: "date with non-standard separators"
            case .withTime: "date with a time"
            case .withZone: "date and time with a time zone (as a Beijing date)"
            case .excelSerial: "Excel date serial"
            case .longTerm: "'long term'"
            }
        }
    }

    /// The date meaning 长期 (no end) in the national templates.
    static let longTerm = "2099-12-31"

    /// The two official forms, `YYYY-MM-DD` and `YYYY/MM/DD` (Excel's default here), read in place:
    /// their ISO form, `.invalid` for an impossible date, nil for any other spelling.
    static func official(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome? {
        guard bytes.count == 10, bytes[4] == bytes[7], bytes[4] == UInt8(ascii: "-") || bytes[4] == UInt8(ascii: "/") else { return nil }
        guard let date = CalendarDate(separated: bytes) else { return .invalid }
        return .canonical(date.description)
    }

    static func normalise(_ value: String, dateSystem: ExcelDateSystem = .from1900) -> Outcome {
        var text = value
        if let official = text.withUTF8(official) { return official }
        let utf8 = Array(value.utf8)
        if value == "长期" || value == "永久" || value == "长期有效" { return .converted(longTerm, from: .longTerm) }
        if utf8.count == 8, utf8.allSatisfy(TextNormalisation.isDigit) {
            return date(utf8, 0..<4, 4..<6, 6..<8).map { .converted($0.description, from: .compact) } ?? .invalid
        }
        // `yyyyMMddHHmmss`, as databases export a timestamp.
        if utf8.count == 14, utf8.allSatisfy(TextNormalisation.isDigit) {
            let time = String(decoding: utf8[8..<10], as: UTF8.self) + ":" + String(decoding: utf8[10..<12], as: UTF8.self) + ":" + String(decoding: utf8[12..<14], as: UTF8.self)
            guard timeOfDay(time) != nil, let day = date(utf8, 0..<4, 4..<6, 6..<8) else { return .invalid }
            return .converted(day.description, from: .withTime)
        }
        if let serial = excelSerial(value, dateSystem: dateSystem) {
            return .converted(serial.description, from: .excelSerial)
        }
        if let arabic = arabicDate(fromChineseNumerals: value) {
            switch normalise(arabic) {
            case .canonical(let iso), .converted(let iso, _): return .converted(iso, from: .chineseNumerals)
            case .invalid: return .invalid
            }
        }
        // Y sep M sep D [日] [time]
        var numbers: [Int] = []
        var current = 0
        var digits = 0
        var index = 0
        var sawChinese = false
        var rest = utf8.count
        while index < utf8.count, numbers.count < 3 {
            let byte = utf8[index]
            if TextNormalisation.isDigit(byte) {
                current = current * 10 + Int(byte - 0x30)
                digits += 1
                guard digits <= 4 else { return .invalid }
                index += 1
                continue
            }
            guard digits > 0 else { return .invalid }
            numbers.append(current)
            current = 0
            digits = 0
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".") {
                index += 1
            } else if byte == 0xE5 || byte == 0xE6, index + 2 < utf8.count {
                // 年 E5 B9 B4, 月 E6 9C 88, 日 E6 97 A5, and 号 E5 8F B7 as people say 日
                let triple = (utf8[index], utf8[index + 1], utf8[index + 2])
                guard triple == (0xE5, 0xB9, 0xB4) || triple == (0xE6, 0x9C, 0x88) || triple == (0xE6, 0x97, 0xA5) || triple == (0xE5, 0x8F, 0xB7)
                else { return .invalid }
                sawChinese = true
                index += 3
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "T") {
                rest = index
                break
            } else {
                return .invalid
            }
            rest = index
        }
        if numbers.count < 3, digits > 0 {
            numbers.append(current)
            rest = index
        }
        guard numbers.count == 3, numbers[0] >= 1000, let date = CalendarDate(year: numbers[0], month: numbers[1], day: numbers[2]) else {
            return .invalid
        }
        // What follows the date may only be 日 (already consumed), or a time of day.
        let tail = String(decoding: utf8[min(rest, utf8.count)...], as: UTF8.self).trimmingCharacters(" ")
        if tail.isEmpty {
            return .converted(date.description, from: sawChinese ? .chinese : .separated)
        }
        guard let time = timeOfDay(clockTime(fromChinese: tail) ?? tail) else { return .invalid }
        guard let offset = time.offset else { return .converted(date.description, from: .withTime) }
        // A moment in another zone (JSON from systems that write UTC: Beijing's midnight is 16:00Z
        // the day before) is the date it was in Beijing.
        let beijing = time.minutes - offset + 8 * 60
        let shift = beijing >= 24 * 60 ? 1 : beijing < 0 ? -1 : 0
        return .converted(date.adding(days: shift).description, from: .withZone)
    }

    private static func date(_ utf8: [UInt8], _ year: Range<Int>, _ month: Range<Int>, _ day: Range<Int>) -> CalendarDate? {
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard TextNormalisation.isDigit(utf8[index]) else { return nil }
                value = value * 10 + Int(utf8[index] - 0x30)
            }
            return value
        }
        guard let y = number(year), let m = number(month), let d = number(day) else { return nil }
        return CalendarDate(year: y, month: m, day: d)
    }

    /// `HH:MM[:SS[.fff]]`, optionally starting with `T` and ending in a zone (`Z`, `+08:00`,
    /// `+0800`, `-05`): minutes after midnight, and the zone's offset from UTC in minutes if given.
    private static func timeOfDay(_ text: String) -> (minutes: Int, offset: Int?)? {
        var body = Substring(text)
        if body.hasPrefix("T") { body = body.dropFirst() }
        var offset: Int?
        if body.hasSuffix("Z") {
            body = body.dropLast()
            offset = 0
        } else if let sign = body.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = body[body.index(after: sign)...].filter { $0 != ":" }
            guard [2, 4].contains(zone.count), zone.allSatisfy(\.isASCII), let hours = Int(zone.prefix(2)), let minutes = Int(zone.dropFirst(2).isEmpty ? "0" : String(zone.dropFirst(2))),
                hours <= 14, minutes < 60
            else { return nil }
            offset = (body[sign] == "-" ? -1 : 1) * (hours * 60 + minutes)
            body = body[..<sign]
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count) else { return nil }
        guard let hour = Int(parts[0]), (0...23).contains(hour), let minute = Int(parts[1]), (0...59).contains(minute) else { return nil }
        if parts.count == 3 {
            guard let second = Double(parts[2]), second >= 0, second < 61 else { return nil }
        }
        return (hour * 60 + minute, offset)
    }

    /// `二〇二三年五月六日`, as a decision dates itself, as `2023年5月6日` followed by whatever
    /// followed the day; nil unless the year is four Chinese numerals.
    static func arabicDate(fromChineseNumerals value: String) -> String? {
        func digit(_ character: Character) -> Int? {
            guard character.unicodeScalars.count == 1, let scalar = character.unicodeScalars.first else { return nil }
            if let value = TextNormalisation.chineseDigits[scalar] { return Int(value) }
            // The circle and the letter typed for 〇.
            return scalar == "○" || scalar == "Ｏ" || scalar == "O" ? 0 : nil
        }
        /// 1 to 39 as written: 六, 十, 十二, 二十, 二十六, 三十一.
        func smallNumber(_ text: Substring) -> Int? {
            let parts = text.split(separator: "十", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 1 { return parts[0].count == 1 ? digit(parts[0].first!).flatMap { $0 > 0 ? $0 : nil } : nil }
            guard parts[0].count <= 1, parts[1].count <= 1 else { return nil }
            let tens = parts[0].first.map(digit) ?? 1
            let ones = parts[1].first.map(digit) ?? 0
            guard let tens, let ones, tens > 0 else { return nil }
            return tens * 10 + ones
        }
        guard let yearEnd = value.firstIndex(of: "年") else { return nil }
        let yearText = value[..<yearEnd]
        guard yearText.count == 4 else { return nil }
        var year = 0
        for character in yearText {
            guard let value = digit(character) else { return nil }
            year = year * 10 + value
        }
        let afterYear = value[value.index(after: yearEnd)...]
        guard let monthEnd = afterYear.firstIndex(of: "月"), let month = smallNumber(afterYear[..<monthEnd]) else { return nil }
        let afterMonth = afterYear[afterYear.index(after: monthEnd)...]
        guard let dayEnd = afterMonth.firstIndex(where: { $0 == "日" || $0 == "号" }), let day = smallNumber(afterMonth[..<dayEnd]) else { return nil }
        return "\(year)年\(month)月\(day)日" + afterMonth[afterMonth.index(after: dayEnd)...]
    }

    /// `14时30分`, `14点30分05秒`, `9时` as `HH:MM[:SS]`; nil for anything else.
    static func clockTime(fromChinese text: String) -> String? {
        guard let hourEnd = text.firstIndex(where: { $0 == "时" || $0 == "点" }), let hour = Int(text[..<hourEnd]) else { return nil }
        var rest = text[text.index(after: hourEnd)...]
        var minute = 0
        var second: Int?
        if let minuteEnd = rest.firstIndex(of: "分") {
            guard let value = Int(rest[..<minuteEnd]) else { return nil }
            minute = value
            rest = rest[rest.index(after: minuteEnd)...]
        }
        if let secondEnd = rest.firstIndex(of: "秒") {
            guard let value = Int(rest[..<secondEnd]) else { return nil }
            second = value
            rest = rest[rest.index(after: secondEnd)...]
        }
        guard rest.isEmpty else { return nil }
        return "\(hour):\(minute)" + (second.map { ":\($0)" } ?? "")
    }

    /// An Excel serial day number: what a date cell holds when a sheet is saved without formatting.
    /// Accepts a fraction (time of day).
    static func excelSerial(_ value: String, dateSystem: ExcelDateSystem = .from1900) -> CalendarDate? {
        let parts = value.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, (1...5).contains(whole.count), TextNormalisation.isASCIIDigits(whole.utf8),
            parts.count == 1 || TextNormalisation.isASCIIDigits(parts[1].utf8), let counted = Int(whole)
        else { return nil }
        let serial = counted + dateSystem.daysAfter1900System
        // 1950-01-01 … 2099-12-31: other numbers are not plausible dates.
        guard (18264...73051).contains(serial) else { return nil }
        // Serial 60 is Excel's phantom 1900-02-29; from 61 on, day 0 is 1899-12-30.
        return CalendarDate(daysSinceEpoch: serial - 25569)
    }
}

extension String {
    func trimmingCharacters(_ character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}
