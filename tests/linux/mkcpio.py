#!/usr/bin/env python3
"""Packs an initramfs as a "newc" cpio archive (the format the kernel's initramfs unpacker
reads: Documentation/driver-api/early-userspace/buffer-format.rst): /init from the given file,
the directories /dev, /proc, /tmp and the /dev/console character device (5, 1), so init has its
standard streams even if the kernel's built-in initramfs lacks the node."""
import argparse
import os


def entry(ino, mode, name, data=b"", nlink=1, rdev=(0, 0)):
    name_bytes = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_bytes), 0]
    header = b"070701" + b"".join(b"%08x" % f for f in fields)
    out = header + name_bytes
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--init", required=True, help="the static executable to become /init")
    p.add_argument("--output", required=True)
    args = p.parse_args()
    with open(args.init, "rb") as f:
        init = f.read()
    archive = b"".join([
        entry(1, 0o040755, "dev", nlink=2),
        entry(2, 0o020600, "dev/console", rdev=(5, 1)),
        entry(3, 0o040555, "proc", nlink=2),
        entry(4, 0o041777, "tmp", nlink=2),
        entry(5, 0o100755, "init", init),
        entry(0, 0, "TRAILER!!!"),
    ])
    archive += b"\0" * (-len(archive) % 512)
    tmp = args.output + ".part"
    with open(tmp, "wb") as f:
        f.write(archive)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
