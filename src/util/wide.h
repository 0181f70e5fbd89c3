/* wide.h - a 128-bit integer for exact products of 64-bit amounts (shares, weights). */
#ifndef ALLOT_UTIL_WIDE_H
#define ALLOT_UTIL_WIDE_H

__extension__ typedef __int128 al__i128;

#endif
