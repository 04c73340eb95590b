#ifndef SLUICE_CNCURSES_SHIM_H
#define SLUICE_CNCURSES_SHIM_H

// ncurses with wide-character support. Some of its API is macros, which Swift cannot call;
// the static inline functions below give them names.
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/curses.h>

static inline int sluice_color_pair(int n) { return COLOR_PAIR(n); }
static inline int sluice_lines(void) { return LINES; }
static inline int sluice_cols(void) { return COLS; }
static inline int sluice_colors(void) { return COLORS; }
static inline int sluice_color_pairs(void) { return COLOR_PAIRS; }
static inline void sluice_getmaxyx(WINDOW *w, int *y, int *x) { getmaxyx(w, *y, *x); }
static inline attr_t sluice_a_bold(void) { return A_BOLD; }
static inline attr_t sluice_a_dim(void) { return A_DIM; }
static inline attr_t sluice_a_reverse(void) { return A_REVERSE; }
static inline attr_t sluice_a_underline(void) { return A_UNDERLINE; }
static inline attr_t sluice_a_standout(void) { return A_STANDOUT; }
static inline attr_t sluice_a_normal(void) { return A_NORMAL; }

#endif
