/* Tries to open sockets of given families through every system call entry a
 * 64-bit x86 process has: the native socket/socketpair, the i386 socketcall
 * (SYS_SOCKET, SYS_SOCKETPAIR) and socket/socketpair through `int $0x80`, and
 * the x32 socket/socketpair. Built static, it needs nothing in the job.
 *
 *   sockentry probe           which entries this kernel has (ia32, x32)
 *   sockentry FAMILY...       one line per entry and family:
 *                             "ENTRY FAMILY open|errno=N|signal=N"
 *
 * Each attempt runs in a child of its own: a seccomp filter that kills on a
 * foreign architecture must not end the whole run. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define I386_GETPID	20
#define I386_SOCKETCALL 102
#define I386_SOCKET	359
#define I386_SOCKETPAIR 360
#define X32_BIT		0x40000000L
#define SYS_SOCKET_CALL 1
#define SYS_PAIR_CALL	8

/* The i386 entry from a 64-bit process: arguments in ebx, ecx, edx, esi. */
static long int80(long nr, long a, long b, long c, long d)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static long raw(long nr, long a, long b, long c, long d)
{
	return syscall(nr, a, b, c, d);
}

/* socketcall's arguments live in memory the 32-bit entry can address. */
static uint32_t *low_mem(void)
{
	static uint32_t *p;

	if (p == NULL) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
	}
	return p;
}

/* One attempt: the kernel's answer, as a negative errno or a descriptor. */
static long attempt(const char *entry, int fam)
{
	uint32_t *m = low_mem();
	long r;

	m[0] = (uint32_t)fam;
	m[1] = 1; /* SOCK_STREAM */
	m[2] = 0;
	m[3] = (uint32_t)(uintptr_t)(m + 8);
	if (strcmp(entry, "native-socket") == 0) {
		r = raw(SYS_socket, fam, 1, 0, 0);
		return r < 0 ? -errno : r;
	}
	if (strcmp(entry, "native-socketpair") == 0) {
		r = raw(SYS_socketpair, fam, 1, 0, (long)(m + 8));
		return r < 0 ? -errno : r;
	}
	if (strcmp(entry, "x32-socket") == 0) {
		r = raw(X32_BIT | SYS_socket, fam, 1, 0, 0);
		return r < 0 ? -errno : r;
	}
	if (strcmp(entry, "x32-socketpair") == 0) {
		r = raw(X32_BIT | SYS_socketpair, fam, 1, 0, (long)(m + 8));
		return r < 0 ? -errno : r;
	}
	if (strcmp(entry, "i386-socketcall-socket") == 0)
		return int80(I386_SOCKETCALL, SYS_SOCKET_CALL, (long)(uintptr_t)m, 0, 0);
	if (strcmp(entry, "i386-socketcall-socketpair") == 0)
		return int80(I386_SOCKETCALL, SYS_PAIR_CALL, (long)(uintptr_t)m, 0, 0);
	if (strcmp(entry, "i386-socket") == 0)
		return int80(I386_SOCKET, fam, 1, 0, 0);
	if (strcmp(entry, "i386-socketpair") == 0)
		return int80(I386_SOCKETPAIR, fam, 1, 0, (long)(uintptr_t)(m + 8));
	return -ENOSYS;
}

static const char *const entries[] = {
    "native-socket", "native-socketpair",	   "i386-socketcall-socket",
    "i386-socketcall-socketpair", "i386-socket", "i386-socketpair",
    "x32-socket",    "x32-socketpair",
};

/* Runs fn in a child and prints what became of it. */
static void report(const char *entry, const char *fam_name, int fam)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		long r = attempt(entry, fam);
		if (r >= 0)
			printf("%s %s open\n", entry, fam_name);
		else
			printf("%s %s errno=%ld\n", entry, fam_name, -r);
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
		printf("%s %s signal=%d\n", entry, fam_name, WTERMSIG(status));
}

static int family(const char *s)
{
	static const struct {
		const char *name;
		int v;
	} f[] = {{"AF_UNIX", 1}, {"AF_INET", 2}, {"AF_PACKET", 17}, {"AF_VSOCK", 40}};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(s, f[i].name) == 0)
			return f[i].v;
	return atoi(s);
}

/* Does an entry exist at all? getpid through it, in a child (a kernel
 * without it may kill the caller). */
static void probe(const char *name, long (*fn)(long, long, long, long, long), long nr)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(nr, 0, 0, 0, 0) == (long)getpid() ? 0 : 1);
	waitpid(pid, &status, 0);
	printf("%s %s\n", name, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "probe") == 0) {
		probe("ia32", int80, I386_GETPID);
		probe("x32", raw, X32_BIT | SYS_getpid);
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: sockentry probe | sockentry FAMILY...\n");
		return 2;
	}
	for (int a = 1; a < argc; a++)
		for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
			report(entries[i], argv[a], family(argv[a]));
	return 0;
}
