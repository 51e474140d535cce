/* Holds a uid of the proxy block in the ways a look at processes (not
 * threads) or at fixed moments misses:
 * uidhold thread UID:  a non-leader thread takes UID (raw setresuid, which
 *                      changes only the calling thread's credentials).
 * uidhold leader UID:  the whole process takes UID, then its leader thread
 *                      exits alone (SYS_exit) and another thread lives on.
 * uidhold fsuid UID, uidhold fsgid UID: a single-threaded process takes UID
 *                      as its filesystem uid (gid) only, some time after its
 *                      exec.
 * Prints "held PID" once held; then sleeps (tests/integration/jobs.bats). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long uid;
static int mode_leader;

static void *run(void *arg)
{
	(void)arg;
	if (!mode_leader && syscall(SYS_setresuid, uid, uid, uid) != 0) {
		perror("setresuid");
		exit(1);
	}
	if (mode_leader)
		usleep(200000); /* the leader is gone by then */
	printf("held %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 3)
		return 2;
	uid = strtoul(argv[2], NULL, 10);
	mode_leader = strcmp(argv[1], "leader") == 0;
	if (strcmp(argv[1], "fsuid") == 0 || strcmp(argv[1], "fsgid") == 0) {
		usleep(300000); /* the exec's event long read */
		syscall(strcmp(argv[1], "fsuid") == 0 ? SYS_setfsuid : SYS_setfsgid, uid);
		printf("held %d\n", getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	if (mode_leader && setresuid(uid, uid, uid) != 0) {
		perror("setresuid");
		return 1;
	}
	pthread_create(&t, NULL, run, NULL);
	if (mode_leader)
		syscall(SYS_exit, 0);
	for (;;)
		pause();
}
