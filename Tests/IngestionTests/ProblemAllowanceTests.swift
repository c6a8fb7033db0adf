import CreditKernel
import Ingestion
import Storage
import Testing

@Suite("Problem allowance")
struct ProblemAllowanceTests {
    static func problems(_ statuses: [RowStatus]) -> [StoredProblem] {
        statuses.enumerated().map { StoredProblem(problem: ProblemRow(row: $0.offset + 1, status: $0.element, issues: []), originalCells: []) }
    }

    @Test("Each status is listed up to the maximum, in order; the rest are counted")
    func perStatus() {
        let allowance = ProblemAllowance(maximum: 2, listed: [.rejected: 1])
        let admitted = allowance.admitting(Self.problems([.duplicate, .rejected, .duplicate, .duplicate, .rejected, .fixed]))
        #expect(admitted.listed.map(\.problem.row) == [1, 2, 3, 6])
        #expect(admitted.omitted == 2)
        #expect(admitted.after.omitted == 2)
        #expect(admitted.after.listed == [.duplicate: 2, .rejected: 2, .fixed: 1])
        #expect(allowance.listed == [.rejected: 1], "admitting changes only the allowance it returns")
        #expect(ProblemAllowance(maximum: 0).admitting(Self.problems([.conflict])).omitted == 1)
    }
}
