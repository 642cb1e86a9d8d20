import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Deterministic crash points for the reliability harness (RELIABILITY.md, "How to inject
/// faults"): with `WINNOW_FAULT_AT=OP:N` in the environment the process kills itself with
/// SIGKILL the N-th time it reaches the point named OP (`import` batch, `snapshot` step,
/// `export` file write, `migration`, `decision`). Without the variable a point costs one
/// branch on a constant.
public enum Faults {
    private static let target: (op: String, n: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["WINNOW_FAULT_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]), n > 0 else { return nil }
        return (String(parts[0]), n)
    }()
    private static let hits = Counter()

    /// Marks one step of `op`; the process dies here when it is the step the harness asked for.
    public static func point(_ op: String) {
        guard let target, target.op == op else { return }
        if hits.increment() == target.n { kill(getpid(), SIGKILL) }
    }

    /// True the N-th time `op` is reached under `WINNOW_FAULT_AT=OP:N`: the caller then fails
    /// that step with an error instead of dying (a failing migration, RELIABILITY M4).
    public static func fails(_ op: String) -> Bool {
        guard let target, target.op == op else { return false }
        return hits.increment() == target.n
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}
