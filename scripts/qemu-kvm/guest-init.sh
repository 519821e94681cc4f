#!/bin/busybox sh
# /init of the qemu-kvm test VM (see run.sh). ttyS0: console, ttyS1: results.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin HOME=/t TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# the links a Debian system's udev makes (devtmpfs has only the devices)
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /tmp
if [ -f /t/.cgroup-favordynmods ]; then
	mkdir -p /sys/fs/cgroup
	mount -t cgroup2 -o favordynmods none /sys/fs/cgroup || echo "qemu-kvm: cgroup2 favordynmods mount failed"
fi
echo "@@kvmlet-qemu: init"
R=/dev/ttyS1
stty -F $R raw -echo 2>/dev/null

setup_err=""
for m in $(cat /mods/order); do
	params=
	[ "$m" = kvm-amd.ko ] && params=$(cat /t/.kvm-amd-params 2>/dev/null)
	[ "$m" = kvm.ko ] && params=$(cat /t/.kvm-params 2>/dev/null)
	insmod /mods/$m $params 2>/tmp/insmod.err || setup_err="$setup_err insmod $m: $(cat /tmp/insmod.err);"
done
[ -c /dev/kvm ] || mknod /dev/kvm c 10 232 2>/dev/null
if [ -n "$setup_err" ] || ! [ -r /sys/module/kvm_amd/initstate ]; then
	echo "qemu-kvm: kvm setup failed:$setup_err"
	grep -o -w -E 'svm|npt' /proc/cpuinfo | sort | uniq -c
	dmesg | grep -i -E 'kvm|svm|ccp'
	printf 'SETUP failed%s\n' "$setup_err" >$R
	poweroff -f
fi
printf 'SETUP ok\n' >$R
dmesg -c >/dev/null

cd /t
[ -f .env ] && . ./.env
T=$(cat .timeout 2>/dev/null || echo 600)
[ -f .cmds ] || echo "qemu-kvm: no payload in initramfs"
up() { read u _ </proc/uptime; echo "$u"; }
while IFS="	" read -r name line; do
	echo "==== run: $line"
	s=$(up)
	eval "timeout $T $line" </dev/null 2>&1
	rc=$?
	e=$(up)
	secs=$(awk "BEGIN{printf \"%.2f\", $e - $s}")
	echo "==== exit $rc: $name (${secs}s)"
	# kernel warnings/oopses during the test
	dmesg -c 2>/dev/null | grep -E 'WARNING|BUG|Oops|Call Trace|kvm' | sed 's/^/     dmesg: /'
	printf 'RESULT\t%s\t%s\t%s\n' "$name" "$rc" "$secs" >$R
done <.cmds
printf 'DONE\n' >$R
sync
poweroff -f
