/* seccomp/container.json as a C string, one line of the file per line here
 * (quotes escaped): the data is reviewed there, and tests/unit/test_oci.c
 * fails when this copy differs from it. */
#ifndef NW_OCI_SECCOMP_H
#define NW_OCI_SECCOMP_H

/* clang-format off */
static const char oci_seccomp_json[] =
	"[\n"
	"	{\n"
	"		\"names\": [\"socket\"],\n"
	"		\"action\": \"SCMP_ACT_ERRNO\",\n"
	"		\"errnoRet\": 97,\n"
	"		\"args\": [{\"index\": 0, \"value\": 4294967295, \"valueTwo\": 40, \"op\": \"SCMP_CMP_MASKED_EQ\"}]\n"
	"	},\n"
	"	{\n"
	"		\"names\": [\"socketpair\"],\n"
	"		\"action\": \"SCMP_ACT_ERRNO\",\n"
	"		\"errnoRet\": 97,\n"
	"		\"args\": [{\"index\": 0, \"value\": 4294967295, \"valueTwo\": 40, \"op\": \"SCMP_CMP_MASKED_EQ\"}]\n"
	"	},\n"
	"	{\n"
	"		\"names\": [\"socketcall\"],\n"
	"		\"action\": \"SCMP_ACT_ERRNO\",\n"
	"		\"errnoRet\": 97,\n"
	"		\"args\": [{\"index\": 0, \"value\": 4294967295, \"valueTwo\": 1, \"op\": \"SCMP_CMP_MASKED_EQ\"}]\n"
	"	},\n"
	"	{\n"
	"		\"names\": [\"socketcall\"],\n"
	"		\"action\": \"SCMP_ACT_ERRNO\",\n"
	"		\"errnoRet\": 97,\n"
	"		\"args\": [{\"index\": 0, \"value\": 4294967295, \"valueTwo\": 8, \"op\": \"SCMP_CMP_MASKED_EQ\"}]\n"
	"	},\n"
	"	{\n"
	"		\"names\": [\"io_uring_setup\"],\n"
	"		\"action\": \"SCMP_ACT_ERRNO\",\n"
	"		\"errnoRet\": 38\n"
	"	}\n"
	"]\n"
	;
/* clang-format on */

#endif
