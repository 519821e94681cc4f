// guest_cxx.cpp: a C++ guest built out of tree with kvmlet-guest.pc: the guest
// headers are extern "C", so its exports and runtime calls link.
#include "kvmlet_guest.h"

namespace {
int add(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, kvmlet_arg_i64(c, 0) + kvmlet_arg_i64(c, 1));
}
} // namespace
KVMLET_EXPORT(add, "ii:i");

int main(void)
{
	kvmlet_printf("hello from a C++ guest, %.2f\n", 2.5);
	return 0;
}
