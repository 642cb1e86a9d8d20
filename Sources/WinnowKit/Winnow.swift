/// Facts about this build of Winnow.
public enum Winnow {
    /// The tool version, written into export manifests.
    public static let version = "0.1.0"
}
