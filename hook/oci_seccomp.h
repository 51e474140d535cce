/* seccomp/container.json as a C string: the build turns the file into
 * container_seccomp.h (Makefile), so the data is reviewed in one place and
 * this copy cannot drift from it. */
#ifndef NW_OCI_SECCOMP_H
#define NW_OCI_SECCOMP_H

extern const char oci_seccomp_json[];

#endif
