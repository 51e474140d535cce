/* Sanitizer defaults for build-san/netward only (Makefile, SAN=1). The hook
 * stages, the monitor and the proxy run with stdio on /dev/null or on the
 * runtime's pipes, so every report goes to a file,
 * NW_SAN_LOG_DIR/report.PID; a test passes when the directory holds none. The first error stops the
 * process (halt_on_error), so a run that reports cannot also pass. ASAN_OPTIONS, UBSAN_OPTIONS and
 * LSAN_OPTIONS still override these. */
#include <sys/stat.h>

#ifndef NW_SAN_LOG_DIR
#error "NW_SAN_LOG_DIR comes from the Makefile (SAN_LOG_DIR)"
#endif

/* The proxy drops to an unprivileged uid before it could report, so the
 * directory is world-writable and sticky, as /tmp is. The runtime has
 * already made it (0755) by the time this runs; as not root, this fails
 * harmlessly. */
__attribute__((constructor)) static void san_log_dir(void)
{
	mkdir(NW_SAN_LOG_DIR, 01777);
	chmod(NW_SAN_LOG_DIR, 01777);
}

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=0:detect_leaks=1:"
	       "detect_stack_use_after_return=1:log_path=" NW_SAN_LOG_DIR "/report";
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1:log_path=" NW_SAN_LOG_DIR "/report";
}
