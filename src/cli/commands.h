/* commands.h - the allot program's commands: one function per command, one file each. */
#ifndef ALLOT_CLI_COMMANDS_H
#define ALLOT_CLI_COMMANDS_H

#define AL__VERSION "0.1.0"

/* Exit statuses shared by every command. */
#define AL__EXIT_OK    0
#define AL__EXIT_FAIL  1 /* the command ran and something failed */
#define AL__EXIT_USAGE 2 /* bad command line */

/*
 * A command gets its own argv (argv[0] is the command name) and returns the exit
 * status. It prints its own usage on --help.
 */
int al__cmd_replay(int argc, char **argv);

#endif
