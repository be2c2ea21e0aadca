#!/usr/bin/env python3
"""Turns a protoc FileDescriptorSet into Sources/LogPilotGRPC/Generated/DescriptorSet.swift.

Usage: descriptor_table.py <descriptor-set.pb> <output.swift>

Standard library only: the FileDescriptorSet wire format is parsed by hand. Only the fields the gRPC reflection
service needs are read; everything else is skipped by wire type.

  FileDescriptorSet       1 file (repeated FileDescriptorProto)
  FileDescriptorProto     1 name, 2 package, 3 dependency (repeated), 4 message_type (repeated DescriptorProto),
                          5 enum_type (repeated EnumDescriptorProto), 6 service (repeated ServiceDescriptorProto)
  DescriptorProto         1 name, 3 nested_type (repeated DescriptorProto), 4 enum_type (repeated)
  EnumDescriptorProto     1 name
  ServiceDescriptorProto  1 name, 2 method (repeated MethodDescriptorProto)
  MethodDescriptorProto   1 name

The output is deterministic: files keep protoc's order (dependencies first), symbols are sorted, and base64 text is
split into fixed-width lines.
"""

import base64
import sys

LINE_WIDTH = 76  # base64 characters per source line; with indentation every line stays within 100 columns


class WireError(Exception):
    pass


def read_varint(data, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint too long")


def fields(data):
    """Yields (field_number, wire_type, value) for every field of one message.

    value is an int for varint/fixed fields and bytes for length-delimited fields.
    """
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = read_varint(data, pos)
        elif wire_type == 1:
            if pos + 8 > len(data):
                raise WireError("truncated fixed64")
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire_type == 2:
            length, pos = read_varint(data, pos)
            if pos + length > len(data):
                raise WireError("truncated length-delimited field")
            value, pos = data[pos:pos + length], pos + length
        elif wire_type == 5:
            if pos + 4 > len(data):
                raise WireError("truncated fixed32")
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise WireError(f"unsupported wire type {wire_type}")
        yield number, wire_type, value


def strings(data, number):
    return [v.decode("utf-8") for n, w, v in fields(data) if n == number and w == 2]


def submessages(data, number):
    return [v for n, w, v in fields(data) if n == number and w == 2]


def first_string(data, number):
    values = strings(data, number)
    return values[-1] if values else ""


def message_symbols(message, scope, out):
    name = f"{scope}.{first_string(message, 1)}" if scope else first_string(message, 1)
    out.append(name)
    for nested in submessages(message, 3):
        message_symbols(nested, name, out)
    for enum in submessages(message, 4):
        out.append(f"{name}.{first_string(enum, 1)}")


def describe_file(file_bytes):
    name = first_string(file_bytes, 1)
    package = first_string(file_bytes, 2)
    dependencies = strings(file_bytes, 3)
    symbols = []
    services = []
    for message in submessages(file_bytes, 4):
        message_symbols(message, package, symbols)
    for enum in submessages(file_bytes, 5):
        symbols.append(f"{package}.{first_string(enum, 1)}" if package else first_string(enum, 1))
    for service in submessages(file_bytes, 6):
        service_name = f"{package}.{first_string(service, 1)}" if package else first_string(service, 1)
        services.append(service_name)
        symbols.append(service_name)
        for method in submessages(service, 2):
            symbols.append(f"{service_name}.{first_string(method, 1)}")
    return {"name": name, "dependencies": dependencies, "symbols": symbols, "services": services,
            "bytes": file_bytes}


def swift_string(text):
    if any(c in text for c in '\\"') or any(ord(c) < 0x20 for c in text):
        raise ValueError(f"unexpected character in {text!r}")
    return f'"{text}"'


def base64_literal(data, indent):
    """A multi-line Swift string literal whose lines are joined without newlines (trailing backslashes)."""
    text = base64.b64encode(data).decode("ascii")
    chunks = [text[i:i + LINE_WIDTH] for i in range(0, len(text), LINE_WIDTH)] or [""]
    pad = " " * indent
    lines = ['"""']
    for index, chunk in enumerate(chunks):
        lines.append(pad + chunk + ("\\" if index < len(chunks) - 1 else ""))
    lines.append(pad + '"""')
    return "\n".join(lines)


def render(set_bytes, files):
    symbol_table = {}
    for file in files:
        for symbol in file["symbols"]:
            if symbol in symbol_table and symbol_table[symbol] != file["name"]:
                raise ValueError(f"symbol {symbol} declared in {symbol_table[symbol]} and {file['name']}")
            symbol_table[symbol] = file["name"]
    services = sorted(s for file in files for s in file["services"])

    out = []
    out.append("// Generated by scripts/gen-proto.sh (scripts/descriptor_table.py) from proto/**/*.proto. DO NOT EDIT.")
    out.append("// `scripts/gen-proto.sh --check` (GeneratedCodeDriftTests) fails when this file is out of date.")
    out.append("")
    out.append("/// Serialized descriptors of every proto the gRPC server serves, for the server reflection service")
    out.append("/// (`grpc.reflection.v1` and `v1alpha`: `file_by_filename`, `file_containing_symbol`,")
    out.append("/// `list_services`).")
    out.append("enum DescriptorSet {")
    out.append("    /// One proto file: its name (relative to `proto/`), direct dependencies and serialized")
    out.append("    /// `google.protobuf.FileDescriptorProto`, base64.")
    out.append("    struct File: Sendable {")
    out.append("        var name: String")
    out.append("        var dependencies: [String]")
    out.append("        var base64: String")
    out.append("    }")
    out.append("")
    out.append("    /// The whole `google.protobuf.FileDescriptorSet` (`protoc --include_imports`), base64.")
    out.append("    static let base64 = " + base64_literal(set_bytes, 8))
    out.append("")
    out.append("    /// Every file of the set in protoc's order (dependencies before the files that import them).")
    out.append("    static let files: [File] = [")
    for file in files:
        deps = ", ".join(swift_string(d) for d in file["dependencies"])
        out.append("        File(")
        out.append(f"            name: {swift_string(file['name'])},")
        out.append(f"            dependencies: [{deps}],")
        out.append("            base64: " + base64_literal(file["bytes"], 16))
        out.append("        ),")
    out.append("    ]")
    out.append("")
    out.append("    /// Fully qualified services, in alphabetical order.")
    out.append("    static let services: [String] = [")
    for service in services:
        out.append(f"        {swift_string(service)},")
    out.append("    ]")
    out.append("")
    out.append("    /// Fully qualified symbol → name of the file that declares it. Symbols are services, methods")
    out.append("    /// (`package.Service.Method`), messages (nested ones as `package.Outer.Inner`) and enums.")
    out.append("    static let symbols: [String: String] = [")
    for symbol in sorted(symbol_table):
        out.append(f"        {swift_string(symbol)}: {swift_string(symbol_table[symbol])},")
    out.append("    ]")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 3:
        print("usage: descriptor_table.py <descriptor-set.pb> <output.swift>", file=sys.stderr)
        return 2
    with open(argv[1], "rb") as handle:
        set_bytes = handle.read()
    try:
        files = [describe_file(f) for n, w, f in fields(set_bytes) if n == 1 and w == 2]
    except WireError as error:
        print(f"descriptor_table.py: invalid FileDescriptorSet: {error}", file=sys.stderr)
        return 1
    if not files:
        print("descriptor_table.py: the descriptor set holds no files", file=sys.stderr)
        return 1
    with open(argv[2], "w", encoding="utf-8", newline="\n") as handle:
        handle.write(render(set_bytes, files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
