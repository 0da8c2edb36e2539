#!/bin/sh
# Runs bench/virtio.sh inside tools/nested-kvm's VM (busybox, no gcc): the test kernel is built on the host and
# copied in, the CLI is the VM's /bin/SharpVmm.Cli, and iproute2's ip comes from the host. From the repository root:
#
#   ./sharpvmm --help >/dev/null && guests/testkernel/build.sh /tmp/testkernel
#   tools/nested-kvm/run-in-vm.sh -t 600 -a /tmp/testkernel=/bench/testkernel -a bench=/repo/bench \
#       -a "$(readlink -f /sbin/ip)=/usr/local/sbin/ip" bench/virtio-nested-kvm.sh
#
# (run-in-vm.sh also copies artifacts/guest/*; the benchmark does not use them.) Runs and sizes: edit RUNS etc. below,
# since the VM does not see the host's environment.
RUNS=4
export BENCH_MB=8 BENCH_IOS=2000 BENCH_FRAMES=20000
export PATH=/usr/local/sbin:$PATH
mkdir -p /run
[ -L /var/run ] || { mkdir -p /var && rm -rf /var/run && ln -s /run /var/run; }   # ip netns keeps /run/netns
SHARPVMM_IP=/usr/local/sbin/ip SHARPVMM_TEST_KERNEL=/bench/testkernel SHARPVMM_CLI=/bin/SharpVmm.Cli sh /repo/bench/virtio.sh "$RUNS"
