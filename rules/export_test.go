package rules

// Sites lets the external tests count the places a snapshot has.
var Sites = sites
