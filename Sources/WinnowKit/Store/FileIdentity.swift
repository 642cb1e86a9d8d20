import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A file's identity (device and inode): a store deleted or replaced under a running command
/// no longer has the identity it was opened with.
public struct FileIdentity: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    /// The identity of what is at `path` now; nil when nothing is.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
