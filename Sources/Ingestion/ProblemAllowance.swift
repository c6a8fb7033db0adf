import CreditKernel
import Storage

/// How many problem rows of each status a batch still lists row by row (`ingest.maximum-problem-rows`
/// each): past it they are only counted. Each status has its own allowance, so a full refresh's
/// million duplicate notices do not push out the rejected rows the provider has to fix.
///
/// A pure value: the pipeline and `credithub validate` admit each chunk's problem rows through it.
public struct ProblemAllowance: Sendable, Equatable {
    public let maximum: Int
    /// Problem rows listed so far, by status.
    public private(set) var listed: [RowStatus: Int]
    /// Problem rows left out so far.
    public private(set) var omitted = 0

    public init(maximum: Int, listed: [RowStatus: Int] = [:]) {
        self.maximum = max(0, maximum)
        self.listed = listed
    }

    /// The problem rows to list, in their order, and how many are left out; the allowance after them.
    public func admitting(_ problems: [StoredProblem]) -> (listed: [StoredProblem], omitted: Int, after: ProblemAllowance) {
        var after = self
        var kept: [StoredProblem] = []
        kept.reserveCapacity(problems.count)
        for problem in problems where after.listed[problem.problem.status, default: 0] < maximum {
            after.listed[problem.problem.status, default: 0] += 1
            kept.append(problem)
        }
        after.omitted += problems.count - kept.count
        return (kept, problems.count - kept.count, after)
    }
}
