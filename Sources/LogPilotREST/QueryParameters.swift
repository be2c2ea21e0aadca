/// The query string of a request, decoded as HTML forms encode it: `+` is a space and `%XX` an escaped byte
/// (Hummingbird's own parser leaves `+` alone, which turns `q=hello+world` into a search for "hello+world").
struct QueryParameters {
    private var pairs: [(key: String, value: String)] = []

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for component in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = component.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            pairs.append((key, value))
        }
    }

    /// The first value of `name`; nil when absent. An empty value counts as absent, like an unset form field.
    subscript(_ name: String) -> String? {
        guard let value = pairs.first(where: { $0.key == name })?.value, !value.isEmpty else { return nil }
        return value
    }

    /// Whether `name` appears at all, even with an empty value.
    func contains(_ name: String) -> Bool {
        pairs.contains { $0.key == name }
    }

    /// Every non-empty value of `name`, in order.
    func all(_ name: String) -> [String] {
        pairs.filter { $0.key == name && !$0.value.isEmpty }.map(\.value)
    }

    /// Decodes one key or value; malformed escapes and invalid UTF-8 are kept literally rather than guessed at.
    static func decode(_ text: Substring) -> String {
        let spaced = text.contains("+") ? Substring(text.replacing("+", with: " ")) : text
        return RESTResponder.percentDecoded(spaced) ?? String(spaced)
    }
}
