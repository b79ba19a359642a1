#!/usr/bin/python3
"""Writes a file's bytes as a C array, so the introspection XML installed
for clients and the one the daemon answers with are the same file."""
import sys

src, dst, name = sys.argv[1:4]
data = open(src, "rb").read()
with open(dst, "w", encoding="ascii") as out:
    out.write(f"/* generated from {src.rsplit('/', 1)[-1]} */\n")
    out.write(f"static const char {name}[] = {{\n")
    for i in range(0, len(data), 16):
        out.write("\t" + ", ".join(f"0x{b:02x}" for b in data[i : i + 16]) + ",\n")
    out.write("\t0x00,\n};\n")
