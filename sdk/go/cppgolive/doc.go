// Drive the Azure Marketplace publish-to-preview and "Go Live" steps from Pulumi, on the Cloud Partner Portal or the Product Ingestion API: once, resumable, never posted twice.
package cppgolive
