import CreditKernel
import Foundation

/// JSON forms both backends use for structured columns, and small helpers they share.
public enum StorageCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// The 6-digit administrative division in a subject code: positions 3–8 of a unified social
    /// credit code, the first six digits of a resident ID number; empty otherwise.
    public static func division(ofSubject code: String) -> String {
        var code = code
        return code.withUTF8 { bytes in
            guard bytes.count == 18 else { return "" }
            let valid = UnifiedSocialCreditCode.validate(bytes: bytes, characters: { bytes.count }) == nil
            let range = valid ? 2..<8 : 0..<6
            guard bytes[range].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return "" }
            return String(decoding: bytes[range], as: UTF8.self)
        }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    public static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var high: UInt8?
        for byte in hex.utf8 {
            let value: UInt8
            switch byte {
            case 0x30...0x39: value = byte - 0x30
            case 0x61...0x66: value = byte - 0x61 + 10
            case 0x41...0x46: value = byte - 0x41 + 10
            default: continue
            }
            if let h = high {
                result.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return result
    }
}

/// A conflict's incoming side as stored JSON.
public struct IncomingRecordJSON: Codable, Sendable {
    var resourceID: String
    var businessKey: String
    var subjectCode: String
    var subjectType: SubjectType?
    var subjectName: String
    var division: String
    var eventDate: String?
    var sourceUnit: String
    var batchID: String
    var rowNumber: Int
    var contentHash: String
    var data: String
    var recordedAt: Date

    public init(_ version: RecordVersion) {
        resourceID = version.resourceID
        businessKey = version.businessKey
        subjectCode = version.subjectCode
        subjectType = version.subjectType
        subjectName = version.subjectName
        division = version.division
        eventDate = version.eventDate
        sourceUnit = version.sourceUnit
        batchID = version.batchID
        rowNumber = version.rowNumber
        contentHash = StorageCoding.hex(version.contentHash.bytes)
        data = version.data
        recordedAt = version.recordedAt
    }

    public var version: RecordVersion {
        RecordVersion(
            sequence: 0, resourceID: resourceID, keyHash: Digest128(high: 0, low: 0), businessKey: businessKey, version: 0, operation: .conflictResolution,
            subjectCode: subjectCode, subjectType: subjectType, subjectName: subjectName, division: division, eventDate: eventDate, sourceUnit: sourceUnit,
            batchID: batchID, rowNumber: rowNumber, contentHash: Digest128(bytes: StorageCoding.bytes(hex: contentHash)), json: Array(data.utf8), recordedAt: recordedAt, supersedes: nil
        )
    }
}
