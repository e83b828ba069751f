#ifndef LADING_LIB_VERSION_H
#define LADING_LIB_VERSION_H

/*
 * The version printed by `lading --version`, sent as the HTTP User-Agent and
 * recorded in every bill of lading. Kept in lib/ so every layer can read it
 * without including anything above lib/.
 */
#define LADING_VERSION "0.1.0"

#endif
