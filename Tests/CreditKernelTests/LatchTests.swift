import CreditKernel
import Testing

@Suite("Latch")
struct LatchTests {
    @Test("Waiters go on when it is raised, at once if it already was, and when cancelled")
    func latch() async {
        let latch = Latch()
        async let first: Void = latch.wait()
        async let second: Void = latch.wait()
        latch.raise()
        _ = await (first, second)
        await latch.wait()
        await Latch(raised: true).wait()

        let never = Latch()
        let waiter = Task { await never.wait() }
        waiter.cancel()
        await waiter.value
    }

    @Test("A bounded wait goes on when the latch is raised, however long the bound, or once the bound has passed", .timeLimit(.minutes(1)))
    func boundedWait() async {
        let latch = Latch()
        async let waiter: Void = latch.wait(atMost: .seconds(3600))
        latch.raise()
        await waiter
        await Latch().wait(atMost: .milliseconds(10))
    }
}
