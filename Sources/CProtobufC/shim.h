/* CProtobufC: the system libprotobuf-c (apt: libprotobuf-c-dev; pkg-config: libprotobuf-c).
 *
 * Used only by the protoc-c generated code in CLogPilotProto and by
 * Sources/LogPilotGRPC/Protobuf/ProtobufCodec.swift, the one Swift file with unsafe protobuf-c code.
 * Nothing needs a wrapper: the generated code's `*__INIT` brace-initialiser macros are not imported by Swift, and the
 * codec uses the generated `*__init()` functions instead. */
#ifndef CPROTOBUFC_SHIM_H
#define CPROTOBUFC_SHIM_H

#include <protobuf-c/protobuf-c.h>

#endif /* CPROTOBUFC_SHIM_H */
