/*  webasset.h -- the pages' files, embedded in the binaries at build time
    (common/web/embed.cmake turns each file of common/web/ into a C array in
    the build tree): NAME.html is served at /NAME, any other file at
    /static/NAME.  */
#ifndef GN_WEBASSET_H
#define GN_WEBASSET_H
#include <stddef.h>

typedef struct {
    const char *path;           // where it is served: "/center", "/static/app.css"
    const char *type;           // its Content-Type
    const char *etag;           // a strong ETag from its SHA-256, quotes included
    const unsigned char *data;  // its bytes (static; a NUL follows them)
    size_t len;                 // bytes of data
} gn_web_asset_t;

//  The file served at path, or NULL. Static: valid for the process's life.
const gn_web_asset_t *gn_web_asset(const char *path);

#endif
