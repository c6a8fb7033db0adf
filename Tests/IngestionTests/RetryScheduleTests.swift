@testable import Ingestion
import Testing

@Suite("Retry schedule")
struct RetryScheduleTests {
    @Test("Failures without progress double the wait up to the maximum; progress starts it over; success forgets")
    func backoff() {
        var schedule = RetrySchedule(first: .seconds(60), maximum: .seconds(900))
        let start = ContinuousClock.now
        #expect(schedule.isDue("B1", at: start), "a batch that never failed is due")
        let waits = (0..<6).map { step in schedule.failed("B1", processedRows: 40_000, at: start + .seconds(step)) }
        #expect(waits == [.seconds(60), .seconds(120), .seconds(240), .seconds(480), .seconds(900), .seconds(900)])
        #expect(!schedule.isDue("B1", at: start + .seconds(5 + 899)))
        #expect(schedule.isDue("B1", at: start + .seconds(5 + 900)))
        #expect(schedule.isDue("B2", at: start), "another batch's failures do not hold it back")
        // The store could not say how far it got: no progress is assumed.
        #expect(schedule.failed("B1", processedRows: nil, at: start) == .seconds(900))
        // Further than before: the waits start over.
        #expect(schedule.failed("B1", processedRows: 60_000, at: start) == .seconds(60))
        #expect(schedule.failed("B1", processedRows: 60_000, at: start) == .seconds(120))
        schedule.forget("B1")
        #expect(schedule.isDue("B1", at: start))
        #expect(schedule.failed("B1", processedRows: 60_000, at: start) == .seconds(60))
    }

    @Test("A maximum below the first wait is the first wait")
    func maximumBelowFirst() {
        var schedule = RetrySchedule(first: .seconds(60), maximum: .seconds(10))
        #expect(schedule.failed("B", processedRows: 1, at: .now) == .seconds(60))
        #expect(schedule.failed("B", processedRows: 1, at: .now) == .seconds(60))
    }
}
