/* list_view.c - what list commands share: every page, shown once or watched. */
#include "cli/list_view.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/watch.h"

static int render(const struct al__cli *cli, void *ctx) {
    const struct al__cli_list_view *v = ctx;
    json_t *items;

    if (al__cli_list_all(cli, v->path, v->query, &items) < 0)
        return al__cli_failed();
    if (v->selector)
        al__cli_selector_filter(v->selector, items);
    return al__cli_show_list(cli, items, v->what, v->kind, v->print_table);
}

int al__cli_list_view_run(const struct al__cli *cli, const struct al__cli_list_view *v,
                          bool watch) {
    return watch ? al__cli_watch_live(cli, render, (void *)v, v->events) : render(cli, (void *)v);
}
