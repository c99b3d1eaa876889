/*
 * version.h — the one version string of every lumbung program (--version).
 * It is `git describe` of the tree it was built from.
 */
#ifndef LB_VERSION_H
#define LB_VERSION_H

/* e.g. "v0.3-41-g8b56f43" or "8b56f43-dirty".  Static string. */
const char *lb_version(void);

#endif
