// Drive the Azure Marketplace "Go Live" step from Pulumi, on the Cloud Partner Portal or the Product Ingestion API: once, resumable, never posted twice.
package cppgolive
