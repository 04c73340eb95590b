#ifndef SLUICE_CNCURSES_SHIM_H
#define SLUICE_CNCURSES_SHIM_H

// ncurses with wide-character support. Some of its API is macros, which Swift cannot call;
// the static inline functions below give them names.
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
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

// The standard screen (a global variable, which Swift 6 treats as unsafe shared state).
static inline WINDOW *sluice_stdscr(void) { return stdscr; }

// Puts one character cell (up to CCHARW_MAX - 1 code points: a base character and combining
// marks) with attributes and a colour pair at (y, x) of the standard screen.
static inline int sluice_put_cell(int y, int x, const wchar_t *wcs, attr_t attrs, int pair) {
    cchar_t cell;
    if (setcchar(&cell, wcs, attrs, (short)pair, NULL) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

// Sets the standard screen's background (what ncurses itself paints when it clears).
static inline void sluice_set_background(attr_t attrs, int pair) {
    wbkgdset(stdscr, attrs | COLOR_PAIR(pair) | ' ');
}

// Whether the locale's character set is UTF-8 (after setlocale).
static inline int sluice_locale_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs && (cs[0] == 'U' || cs[0] == 'u') && (cs[1] == 'T' || cs[1] == 't') && (cs[2] == 'F' || cs[2] == 'f');
}

#endif
