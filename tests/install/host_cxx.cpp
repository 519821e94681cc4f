// host_cxx.cpp: kvmlet.h from C++, linked with kvmlet.pc.
#include <cstdio>

#include "kvmlet.h"

int main()
{
	struct kvmlet_config cfg;
	kvmlet_config_default(&cfg);
	std::printf("%s %d\n", kvmlet_type_name(KVMLET_TYPE_I64), kvmlet_i64(7).i64 == 7);
	return 0;
}
