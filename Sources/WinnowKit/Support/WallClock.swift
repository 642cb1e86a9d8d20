import Foundation

/// Where the store reads the time (lease expiry, decision and snapshot times). The system
/// clock by default; tests inject one they move by hand, so a lease expires without a sleep.
public struct WallClock: Sendable {
    /// The current time.
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// The system's clock.
    public static let system = WallClock(now: { Date() })
}
