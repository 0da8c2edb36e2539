#!/usr/bin/env python3
"""Says where the nested-KVM VM's CPUs are, through QEMU's monitor socket: for a VM that hangs.

usage: vm-cpus.py sample MONITOR_SOCKET [SAMPLES] [COMMAND...]
       vm-cpus.py name NAME=SYMBOL_FILE... < LOG

`sample` asks `info registers -a` SAMPLES times (default 5), half a second apart, and prints a line for each CPU:
its RIP, CS, CR0, CR3 and EFER; then it gives the monitor each COMMAND (such as `nmi`). `name` copies LOG and adds to
each such line the nearest symbol below RIP in every SYMBOL_FILE (/proc/kallsyms of the VM's kernel, loaded without
KASLR, or `nm` output of a vmlinux). A CPU that runs an L2 guest shows that guest's registers (QEMU's TCG keeps the
running context), so both kernels' symbols are given.
"""
import bisect
import re
import socket
import sys
import time


def load_symbols(path):
    addresses, names = [], []
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                try:
                    addresses.append(int(parts[0], 16))
                    names.append(parts[2])
                except ValueError:
                    pass
    order = sorted(range(len(addresses)), key=addresses.__getitem__)
    return [addresses[i] for i in order], [names[i] for i in order]


def symbolize(table, rip):
    addresses, names = table
    i = bisect.bisect_right(addresses, rip) - 1
    if i < 0 or rip - addresses[i] > 0x100000:
        return "?"
    return f"{names[i]}+{rip - addresses[i]:#x}"


def ask(path, command):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall((command + "\n").encode())  # never `quit`: that ends QEMU
        time.sleep(1)
        s.settimeout(1)
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def sample(monitor, samples, commands):
    for n in range(samples):
        text = ask(monitor, "info registers -a")
        for block in re.split(r"\n(?=CPU#\d+)", text):
            cpu = re.match(r"CPU#(\d+)", block)
            rip = re.search(r"RIP=([0-9a-f]{16})", block)
            if not cpu or not rip:
                continue
            fields = {k: (re.search(rf"\b{k}\s*=\s*(\S+)", block) or [None, "?"])[1] for k in ("CS", "CR0", "CR3", "EFER")}
            hlt = " HLT" if re.search(r"\bHLT=1\b", block) else ""
            print(f"vm-cpus: sample {n} CPU {cpu.group(1)} RIP={rip.group(1)}{hlt} CS={fields['CS'][:4]} "
                  f"CR0={fields['CR0']} CR3={fields['CR3']} EFER={fields['EFER']}", flush=True)
        time.sleep(0.5)
    for command in commands:
        ask(monitor, command)
        print(f"vm-cpus: gave the monitor '{command}'", flush=True)


def name(tables):
    for line in sys.stdin:
        rip = re.search(r"^vm-cpus: sample .* RIP=([0-9a-f]{16})", line)
        if rip:
            value = int(rip.group(1), 16)
            line = line.rstrip("\n") + " " + " ".join(f"{k}:{symbolize(t, value)}" for k, t in tables.items()) + "\n"
        sys.stdout.write(line)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "sample":
        count = int(sys.argv[3]) if len(sys.argv) > 3 else 5
        sample(sys.argv[2], count, sys.argv[4:])
        return 0
    if len(sys.argv) >= 2 and sys.argv[1] == "name":
        tables = {}
        for arg in sys.argv[2:]:
            key, path = arg.split("=", 1)
            tables[key] = load_symbols(path)
        name(tables)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
