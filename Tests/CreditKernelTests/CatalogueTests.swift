import CreditKernel
import Foundation
import Testing

@Suite("Catalogue")
struct CatalogueTests {
    static let catalogDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("catalog")

    static var catalogFiles: [String] {
        get throws {
            try FileManager.default.contentsOfDirectory(atPath: catalogDirectory.path)
                .filter { $0.hasSuffix(".yaml") }.sorted()
                .map { catalogDirectory.appendingPathComponent($0).path }
        }
    }

    @Test("The shipped catalogue files validate")
    func shippedFilesValidate() throws {
        let catalogue = try Catalogue.load(paths: try Self.catalogFiles)
        #expect(Set(catalogue.resources.map(\.id)) == ["admin_penalty", "admin_license", "black_list", "red_list", "credit_commitment"])
    }

    @Test("The embedded default catalogue is exactly the files under catalog/ (run scripts/embed-catalog.sh)")
    func embeddedMatchesFiles() throws {
        let fromFiles = try Catalogue.load(paths: try Self.catalogFiles)
        let embedded = Catalogue.standard
        #expect(embedded.resources.map(\.id).sorted() == fromFiles.resources.map(\.id).sorted())
        for resource in fromFiles.resources {
            #expect(embedded.resource(resource.id) == resource, "catalog/\(resource.id).yaml differs from the embedded copy")
            #expect(Catalogue.standardResource(resource.id) == resource, "\(resource.id) read from its own file differs")
        }
        #expect(Catalogue.standardResource("no_such_resource") == nil)
    }

    @Test("行政处罚 has the 30 national items with CF_ identifiers and its business key")
    func penalty() throws {
        let penalty = try #require(Catalogue.standard.resource("admin_penalty"))
        #expect(penalty.fields.count == 30)
        #expect(penalty.fields.allSatisfy { $0.id.hasPrefix("CF_") || $0.id == "BZ" })
        #expect(penalty.field("CF_NR_FK")?.unit == .tenThousandYuan)
        #expect(penalty.field("CF_XDR_SHXYM")?.type == .uscc)
        #expect(penalty.field("CF_XDR_ZJHM")?.sensitive == true)
        #expect(penalty.field("CF_XDR_ZZJG")?.aliases.contains("CF_XDR_ZDM") == true)
        #expect(penalty.businessKey == BusinessKey(fields: ["CF_WSH"], includesSubjectCode: true))
        #expect(penalty.sourceUnitField == "CF_SJLYDM")
        #expect(penalty.shareType == .unconditional)
        #expect(penalty.codeLists["penalty_category"]?.accepts("其他-责令改正") == true)
        #expect(penalty.codeLists["penalty_category"]?.accepts("其他") == true)
        #expect(penalty.codeLists["subject_category"]?.canonical("法人") == "法人及非法人组织")
    }

    @Test("行政许可 has the 28 national items with XK_ identifiers")
    func license() throws {
        let license = try #require(Catalogue.standard.resource("admin_license"))
        #expect(license.fields.count == 28)
        #expect(license.fields.allSatisfy { $0.id.hasPrefix("XK_") || $0.id == "BZ" })
        #expect(license.field("XK_YXQZI")?.aliases.contains("XK_JZQ") == true)
        #expect(license.sourceUnitField == "XK_LYDWDM")
        #expect(license.rules.contains(.dateOrder(id: "validity_in_order", earlier: "XK_YXQZ", later: "XK_YXQZI")))
    }

    static let badCatalogue = """
        id: bad_resource
        name: 坏的资源
        subject_types: [legal_person]
        information_class: public
        share_type: sometimes
        disclosure: public
        market_use: ordinary
        sensitivity: { grade: 1, label: x }
        update_frequency: daily
        log_retention_years: 3
        channels: [interface]
        subject: { name_field: NAME, code_fields: [CODE] }
        business_key: { fields: [DOC_NO, MISSING] }
        fields:
          - { id: NAME, label: 名称, type: string, required: true }
          - { id: CODE, label: 代码, type: uscc }
          - { id: DOC_NO, label: 文书号, type: string }
          - { id: AMOUNT, label: 金额, type: money }
          - { id: NAME, label: 名称2, type: string }
        """

    @Test("Unknown type, duplicate field, missing key field and bad share type give four located errors")
    func fourErrors() {
        let (resource, problems) = Resource.parse(yaml: Self.badCatalogue, file: "bad.yaml")
        #expect(resource == nil)
        #expect(problems.count == 4)
        let byLine = Dictionary(grouping: problems, by: \.line)
        #expect(byLine[5]?.first?.message == "share type 'sometimes' is not one of unconditional, conditional, not_shared")
        #expect(byLine[13]?.first?.message == "the business key names field 'MISSING', which the resource does not define")
        #expect(byLine[18]?.first?.message.hasPrefix("field type 'money' is not one of") == true)
        #expect(byLine[19]?.first?.message == "duplicate field id 'NAME' (first declared on line 15)")
        #expect(problems.allSatisfy { $0.description.hasPrefix("bad.yaml:\($0.line):") })
    }

    @Test("Broken YAML is located, not thrown")
    func brokenYAML() {
        let (_, problems) = Resource.parse(yaml: "id: x\nfields: [a, b\nname: y\n", file: "broken.yaml")
        #expect(problems.count == 1)
        #expect(problems.first?.message.hasPrefix("invalid YAML") == true)
        #expect((problems.first?.line ?? 0) > 0)
    }

    @Test("A key given twice is refused with the key's name")
    func repeatedKey() {
        let (resource, problems) = Resource.parse(yaml: "id: x\nname: a\nname: b\n", file: "twice.yaml")
        #expect(resource == nil)
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("'name'") == true)
    }

    @Test("References and policy errors are all reported")
    func references() {
        let yaml = """
            id: r
            name: 资源
            subject_types: [legal_person]
            information_class: public
            share_type: unconditional
            per_batch_approval: true
            disclosure: nobody
            market_use: ordinary
            sensitivity: { grade: 7, label: x }
            update_frequency: daily
            log_retention_years: 4
            channels: [interface, carrier_pigeon]
            subject: { name_field: NAME, code_fields: [GHOST] }
            business_key: { fields: [NAME] }
            source_unit_field: NOWHERE
            fields:
              - { id: NAME, label: 名称, type: string, colour: red }
              - { id: KIND, label: 类别, type: code, code_list: kinds }
              - { id: WHEN, label: 日期, type: string }
            rules:
              - { id: r1, kind: date_order, earlier: WHEN, later: NAME }
              - { id: r2, kind: teleport }
            """
        let (_, problems) = Resource.parse(yaml: yaml, file: "r.yaml")
        let messages = problems.map(\.message)
        let expected = [
            "per_batch_approval applies only to conditional resources",
            "disclosure 'nobody' is not one of",
            "sensitivity grade 7 is outside 1–4",
            "log_retention_years must be 2, 3 or 5",
            "collection channel 'carrier_pigeon' is not one of",
            "'subject' names field 'GHOST'",
            "'source_unit_field' names field 'NOWHERE'",
            "unknown key 'colour' in field",
            "uses code list 'kinds', which is not defined",
            "rule 'r1' compares 'WHEN', which is not a date field",
            "unknown rule kind 'teleport'",
        ]
        for fragment in expected {
            #expect(messages.contains { $0.contains(fragment) }, "no problem mentions \(fragment): \(messages)")
        }
    }

    @Test("Two files declaring the same resource id are refused")
    func duplicateResource() throws {
        let text = try String(contentsOfFile: try Self.catalogFiles.first { $0.hasSuffix("red_list.yaml") }!, encoding: .utf8)
        #expect(throws: CatalogueValidationError.self) {
            try Catalogue.parse([.init(name: "a.yaml", text: text), .init(name: "b.yaml", text: text)])
        }
    }

    @Test("The content digest changes with the definition and only then")
    func digest() throws {
        var penalty = try #require(Catalogue.standard.resource("admin_penalty"))
        let digest = penalty.contentDigest
        #expect(digest == Catalogue.standard.resource("admin_penalty")?.contentDigest)
        penalty.shareType = .conditional
        #expect(penalty.contentDigest != digest)
    }
}
