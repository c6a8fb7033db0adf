import CreditKernel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Valid identifiers and encodings for tests.
public enum SampleCodes {
    /// A valid unified social credit code built from an 8-digit organisation body and a division.
    public static func uscc(organisationBody: String = "71610585", division: String = "330100", prefix: String = "91") -> String {
        let weights = [3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(organisationBody.utf8, weights).reduce(0) { $0 + Int($1.0 - 0x30) * $1.1 }
        let remainder = 11 - sum % 11
        let organisationCheck = remainder == 10 ? "X" : remainder == 11 ? "0" : String(remainder)
        let body = prefix + division + organisationBody + organisationCheck
        return body + String(UnifiedSocialCreditCode.checkCharacter(for: Array(body.utf8))!)
    }

    /// A valid resident ID number for a birth date `YYYYMMDD`.
    public static func residentID(area: String = "110105", birth: String = "19800101", sequence: String = "123") -> String {
        let body = area + birth + sequence
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body.utf8, weights).reduce(0) { $0 + Int($1.0 - 0x30) * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    /// `text` encoded as GB18030 (through glibc iconv).
    public static func gb18030(_ text: String) -> [UInt8] {
        convert(text, to: "GB18030")
    }

    public static func convert(_ text: String, to encoding: String) -> [UInt8] {
        let converter = iconv_open(encoding, "UTF-8")!
        defer { iconv_close(converter) }
        var input = Array(text.utf8).map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 4 + 16)
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                var outLeft = outBuffer.count
                _ = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                return outBuffer.count - outLeft
            }
        }
        return output.prefix(produced).map { UInt8(bitPattern: $0) }
    }
}
