// Lookups over the generated descriptor tables (Generated/DescriptorSet.swift) for the server reflection service.

extension DescriptorSet {
    /// Serialized `FileDescriptorProto` of every file, by file name (decoded once, on first use).
    static let serializedFiles: [String: [UInt8]] = {
        var result: [String: [UInt8]] = [:]
        for file in files {
            guard let bytes = Base64.decode(file.base64) else {
                preconditionFailure("DescriptorSet.swift holds invalid base64 for \(file.name)")
            }
            result[file.name] = bytes
        }
        return result
    }()

    /// The file's name followed by the names of its transitive dependencies, each once; `nil` for an unknown file.
    static func fileNamesWithDependencies(of name: String) -> [String]? {
        guard serializedFiles[name] != nil else { return nil }
        let dependencies = Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.dependencies) })
        var ordered: [String] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            ordered.append(next)
            pending.append(contentsOf: (dependencies[next] ?? []).reversed())
        }
        return ordered
    }

    /// The serialized `FileDescriptorProto`s a reflection `file_by_filename` request answers with: the file first,
    /// then its transitive dependencies. `nil` for an unknown file.
    static func fileDescriptorProtos(forFile name: String) -> [[UInt8]]? {
        fileNamesWithDependencies(of: name)?.compactMap { serializedFiles[$0] }
    }

    /// The serialized `FileDescriptorProto`s a reflection `file_containing_symbol` request answers with: the
    /// declaring file first, then its transitive dependencies. `nil` for an unknown symbol.
    static func fileDescriptorProtos(containingSymbol symbol: String) -> [[UInt8]]? {
        // Clients sometimes send a leading dot (".logpilot.LogRequest").
        let trimmed = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
        guard let file = symbols[trimmed] else { return nil }
        return fileDescriptorProtos(forFile: file)
    }
}

extension DescriptorSet {
    /// A standard-alphabet base64 decoder (padding required), so that the generated tables need no Foundation.
    enum Base64 {
        static func decode(_ text: String) -> [UInt8]? {
            var values: [UInt8] = []
            values.reserveCapacity(text.utf8.count)
            var padding = 0
            for character in text.utf8 {
                let value: UInt8
                switch character {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = character - UInt8(ascii: "A")
                case UInt8(ascii: "a")...UInt8(ascii: "z"): value = character - UInt8(ascii: "a") + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0") + 52
                case UInt8(ascii: "+"): value = 62
                case UInt8(ascii: "/"): value = 63
                case UInt8(ascii: "="):
                    padding += 1
                    continue
                default:
                    return nil
                }
                guard padding == 0 else { return nil }  // data after padding
                values.append(value)
            }
            guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(values.count * 3 / 4)
            var index = 0
            while index + 4 <= values.count {
                let (a, b, c, d) = (values[index], values[index + 1], values[index + 2], values[index + 3])
                bytes.append(a << 2 | b >> 4)
                bytes.append(b << 4 | c >> 2)
                bytes.append(c << 6 | d)
                index += 4
            }
            switch values.count - index {
            case 0: break
            case 2: bytes.append(values[index] << 2 | values[index + 1] >> 4)
            case 3:
                bytes.append(values[index] << 2 | values[index + 1] >> 4)
                bytes.append(values[index + 1] << 4 | values[index + 2] >> 2)
            default: return nil
            }
            return bytes
        }
    }
}
