/* help.c - --help texts printed from the command table: the overview, a noun's verbs, a
 * command's usage with its options. */
#include <stdio.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/help.h"

#define OPTION_COLUMN 24 /* where an option's help starts */

void al__cli_option_words(const struct al__cli_opt *o, char *buf, size_t size) {
    snprintf(buf, size, "%s%s%s%s%s", o->short_name ? o->short_name : "", o->short_name ? ", " : "",
             o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
}

/* Prints `text`'s lines, the first after what is already on the line, the others indented. */
static void print_lines(FILE *out, const char *text, int indent) {
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (p != text)
            fprintf(out, "%*s", indent, "");
        fprintf(out, "%.*s\n", (int)len, p);
        p += len + (nl != NULL);
    }
}

static void print_options(FILE *out, const char *title, const struct al__cli_opt *options,
                          size_t count) {
    char words[96];

    if (count == 0)
        return;
    fprintf(out, "\n%s:\n", title);
    for (size_t i = 0; i < count; i++) {
        al__cli_option_words(&options[i], words, sizeof(words));
        if (strlen(words) + 2 >= OPTION_COLUMN)
            fprintf(out, "  %s\n%*s", words, OPTION_COLUMN, "");
        else
            fprintf(out, "  %-*s", OPTION_COLUMN - 2, words);
        print_lines(out, options[i].help, OPTION_COLUMN);
    }
}

void al__cli_command_words(const struct al__cli_command *c, char *buf, size_t size) {
    snprintf(buf, size, "allot %s%s%s", c->noun, c->verb ? " " : "", c->verb ? c->verb : "");
}

void al__cli_usage(FILE *out, const struct al__cli_command *c) {
    char words[64];

    al__cli_command_words(c, words, sizeof(words));
    fprintf(out, "usage: %s%s%s\n\n", words, c->synopsis[0] ? " " : "", c->synopsis);
    print_lines(out, c->description, 0);
    print_options(out, "options", c->options, c->option_count);
    if (c->flags & AL__CLI_OUTPUT)
        print_options(out, "output", al__cli_output_options, al__cli_output_option_count);
    if (c->flags & AL__CLI_API)
        print_options(out, "connection (anywhere before '--')", al__cli_conn_options,
                      al__cli_conn_option_count);
}

void al__cli_noun_usage(FILE *out, const char *noun) {
    const struct al__cli_command *alone = al__cli_command_find(noun, NULL);

    if (alone) { /* `allot snapshot` runs by itself too: its usage, then its verbs */
        al__cli_usage(out, alone);
        fprintf(out, "\nor: allot %s <verb> [options] [args]\n\nverbs:\n", noun);
    } else {
        fprintf(out, "usage: allot %s <verb> [options] [args]\n\nverbs:\n", noun);
    }
    for (size_t i = 0; i < al__cli_command_count; i++) {
        const struct al__cli_command *c = &al__cli_command_table[i];
        if (strcmp(c->noun, noun) == 0)
            fprintf(out, "  %-15s %s\n", c->verb ? c->verb : "(none)", c->summary);
    }
    fprintf(out, "\nRun 'allot %s <verb> --help' for a verb's options.\n", noun);
}

void al__cli_overview(FILE *out) {
    fprintf(out, "usage: allot <command> [<verb>] [options] [args]\n"
                 "       allot --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < al__cli_noun_count; i++) {
        const struct al__cli_command *alone =
            al__cli_command_find(al__cli_noun_table[i].name, NULL);
        if (alone && (alone->flags & AL__CLI_HIDDEN))
            continue;
        fprintf(out, "  %-16s %s\n", al__cli_noun_table[i].name, al__cli_noun_table[i].summary);
    }
    fprintf(out, "\nexit status:\n");
    for (size_t i = 0; i < al__cli_exit_doc_count; i++) {
        fprintf(out, "  %d  ", al__cli_exit_docs[i].status);
        print_lines(out, al__cli_exit_docs[i].meaning, 5);
    }
    fprintf(out, "\nRun 'allot <command> --help' for a command's verbs and options;\n"
                 "'man allot' once installed.\n");
}
