/* Scope-bound cleanup for locals (crun's utils.h idea). Library-specific
 * cleanups live in the one module that adapts that library, and a module's
 * own types' beside their free function (cleanup_err in err.h,
 * cleanup_state_lock and cleanup_job_record in state.h, cleanup_json in
 * json.h, cleanup_config, cleanup_policy ...), so that this header needs no
 * module's. */
#ifndef NW_CLEANUP_H
#define NW_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void nw_freep(void *p)
{
	void **pp = p;
	free(*pp);
	*pp = NULL;
}

static inline void nw_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

static inline void nw_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
	*f = NULL;
}

static inline void nw_closedirp(DIR **d)
{
	if (*d != NULL) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
	*d = NULL;
}

static inline void nw_strvfreep(char ***v)
{
	if (*v != NULL) {
		for (char **p = *v; *p != NULL; p++)
			free(*p);
		free(*v);
	}
	*v = NULL;
}

#define cleanup_free  __attribute__((cleanup(nw_freep)))
#define cleanup_close __attribute__((cleanup(nw_closep)))
#define cleanup_file  __attribute__((cleanup(nw_fclosep)))
#define cleanup_strv  __attribute__((cleanup(nw_strvfreep)))
#define cleanup_dir   __attribute__((cleanup(nw_closedirp)))

/* Hands ownership on: returns the value and clears the variable. */
#define steal_ptr(pp)                                                                              \
	({                                                                                         \
		__typeof__(*(pp)) nw_stolen_ = *(pp);                                              \
		*(pp) = NULL;                                                                      \
		nw_stolen_;                                                                        \
	})

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#endif
