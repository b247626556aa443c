/// The release both executables report with `--version`: one string, changed here and nowhere else.
public enum BriefingVersion {
    public static let current = "0.13.0"
}
